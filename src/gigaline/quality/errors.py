"""The one error of :mod:`gigaline.quality`: input the maths cannot use."""

from __future__ import annotations

from gigaline.errors import GigalineError

__all__ = ["QualityInputError"]


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class QualityInputError(GigalineError, ValueError):
    """Bad input to a quality function: names the field, the value given and what is allowed."""

    def __init__(self, field: str, value: object, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: got {_short(value)}; {allowed}")
