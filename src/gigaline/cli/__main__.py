"""``python -m gigaline.cli``: the same as the ``gigaline`` command."""

from gigaline.cli import run

run()
