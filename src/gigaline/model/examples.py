"""The example lines shipped with gigaline (package data): list them, find them, copy them.

The files live in ``src/gigaline/examples/`` and travel in the wheel; a source checkout's
``examples/`` is a symbolic link to that folder, so the docs' ``examples/...`` paths and an
installed package read the same files. An example is a name (the file's stem,
``abf-lfp-20gwh``): a line file, or a scenario file of ``gigaline experiment`` /
``optimize`` / ``sensitivity``, with the files it needs (the scenario file's base line, and
the data files sharing its stem, such as ``oee-example.ndjson``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final, Literal

import yaml

from gigaline.errors import FieldError, GigalineError

__all__ = [
    "REFERENCE_LINE",
    "Example",
    "copy_example",
    "example",
    "examples",
    "examples_dir",
    "reference_line_path",
]

#: The 20 GWh LFP reference line: the default of ``gigaline demo``, the dashboard and the API.
REFERENCE_LINE: Final = "abf-lfp-20gwh"


@dataclass(frozen=True)
class Example:
    """One shipped example: what it is and which files it copies."""

    name: str
    kind: Literal["line", "scenarios"]
    title: str
    description: str
    #: steps of the line (of the base line, for a scenario file)
    steps: int
    #: the file names copied by ``gigaline examples copy``, the example's own first
    files: tuple[str, ...]

    @property
    def path(self) -> Path:
        """The example's own file in the package."""
        return examples_dir() / self.files[0]


def examples_dir() -> Path:
    """The folder of the shipped examples (inside the installed package)."""
    folder = resources.files("gigaline").joinpath("examples")
    path = Path(str(folder))
    if not path.is_dir():  # pragma: no cover - a zipped install, which pip does not make
        raise GigalineError(f"the examples of gigaline are not a folder on disk ({folder})")
    return path


def reference_line_path() -> Path:
    """The reference line's file in the package (``gigaline examples copy abf-lfp-20gwh``)."""
    return example(REFERENCE_LINE).path


def _read(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):  # pragma: no cover - the shipped files are tested
        raise GigalineError(f"{path.name}: an example file must be a mapping")
    return data


def _describe(path: Path) -> Example:
    data = _read(path)
    stem = path.stem
    extras = sorted(p.name for p in path.parent.glob(f"{stem}.*") if p.suffix != ".yaml")
    title = str(data.get("name") or stem)
    description = " ".join(str(data.get("description") or "").split())
    if "steps" in data:
        steps = data["steps"]
        n = len(steps) if isinstance(steps, list) else 0
        return Example(stem, "line", title, description, n, (path.name, *extras))
    base = str(data.get("line", ""))
    base_data = _read(path.parent / base) if (path.parent / base).is_file() else {}
    base_steps = base_data.get("steps")
    n = len(base_steps) if isinstance(base_steps, list) else 0
    return Example(stem, "scenarios", title, description, n, (path.name, base, *extras))


def examples() -> list[Example]:
    """Every shipped example, by name."""
    return [_describe(p) for p in sorted(examples_dir().glob("*.yaml"))]


def example(name: str) -> Example:
    """The example called ``name`` (its stem; ``.yaml`` may be given too)."""
    stem = name.removesuffix(".yaml")
    path = examples_dir() / f"{stem}.yaml"
    if not stem or "/" in stem or "\\" in stem or not path.is_file():
        names = ", ".join(e.name for e in examples())
        raise FieldError("example", name, f"one of the shipped examples: {names}")
    return _describe(path)


def copy_example(name: str, folder: Path, *, force: bool = False) -> list[Path]:
    """Copy example ``name`` and the files it needs into ``folder`` (created if missing).

    Refuses, before writing anything, when one of the files is already there, unless
    ``force``. Returns the paths written.
    """
    ex = example(name)
    if folder.exists() and not folder.is_dir():
        raise FieldError("DIR", str(folder), "must be a folder (this is a file)")
    targets = [folder / f for f in ex.files]
    there = [t for t in targets if t.exists()]
    if there and not force:
        raise GigalineError(
            f"{', '.join(str(t) for t in there)} already there; give --force to replace "
            f"{'it' if len(there) == 1 else 'them'}"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for f, target in zip(ex.files, targets, strict=True):
            shutil.copyfile(examples_dir() / f, target)
    except OSError as exc:
        raise GigalineError(f"cannot copy {ex.name} into {str(folder)!r}: {exc.strerror}") from exc
    return targets
