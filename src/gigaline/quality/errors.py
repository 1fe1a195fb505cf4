"""The one error of :mod:`gigaline.quality`: input the maths cannot use."""

from __future__ import annotations

from gigaline.errors import FieldError, shorten

__all__ = ["QualityInputError"]


class QualityInputError(FieldError):
    """Bad input to a quality function: names the field, the value given and what is allowed."""

    def message_for(self, name: str) -> str:
        return f"{name}: got {shorten(self.value)}; {self.allowed}"
