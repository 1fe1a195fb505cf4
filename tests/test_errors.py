"""One exception family: every error class of gigaline derives from GigalineError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import gigaline
from gigaline.errors import FieldError, GigalineError, NotFoundError, shorten


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(gigaline.__path__, "gigaline."):
        if ".migrations" in info.name or info.name.endswith("__main__"):  # run, not imported
            continue
        names.append(info.name)
    return names


def test_every_exception_class_is_a_gigaline_error() -> None:
    found = {}
    for name in _modules():
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and not issubclass(obj, Warning)  # warnings (SimulationWarning) are not errors
                and obj.__module__.startswith("gigaline")
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    assert len(found) >= 12, sorted(found)  # EventError, UnitError, PlanError, StoreError, ...
    strays = sorted(n for n, cls in found.items() if not issubclass(cls, GigalineError))
    assert strays == []


def test_field_errors_name_field_value_and_what_is_allowed() -> None:
    err = FieldError("chart", "p", "allowed: imr, xbar_r")
    assert (err.field, err.value, err.allowed) == ("chart", "p", "allowed: imr, xbar_r")
    assert str(err) == "chart 'p': allowed: imr, xbar_r"
    assert err.message_for("--chart") == "--chart 'p': allowed: imr, xbar_r"
    assert isinstance(err, ValueError) and err.exit_code == 2
    missing = NotFoundError("unit", "C-1", "unit")
    assert str(missing) == "no unit 'C-1' in the store" and missing.field == "unit"


@pytest.mark.parametrize(("value", "text"), [("abc", "'abc'"), ("x" * 100, "'" + "x" * 56 + "...")])
def test_shorten(value: object, text: str) -> None:
    assert shorten(value) == text and len(shorten("y" * 500)) == 60
