"""Errors of the MES that are not about one input value.

Input values are judged with :class:`gigaline.errors.FieldError` and
:class:`gigaline.errors.NotFoundError`; :class:`StoreError` is a store that cannot be used as
asked (a bad database URL, no schema, a schema too old for a feature).
"""

from __future__ import annotations

from gigaline.errors import GigalineError

__all__ = ["StoreError"]


class StoreError(GigalineError):
    """The MES store cannot be used as asked (bad URL, not initialised, schema too old)."""
