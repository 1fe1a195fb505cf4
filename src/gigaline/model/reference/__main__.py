"""Print docs/sources.md, generated from the sources registry."""

import sys

from gigaline.model.reference import sources_markdown

sys.stdout.write(sources_markdown())
