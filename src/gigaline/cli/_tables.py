"""Terminal tables that never cut a number: text columns wrap, number columns keep their width."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

__all__ = ["number_table"]


def number_table(
    title: str, header: Sequence[str], rows: Sequence[Sequence[str]], text: int
) -> Table:
    """A table whose first ``text`` columns wrap and whose number columns never shrink."""
    t = Table(title=title, title_justify="left")
    for i, col in enumerate(header):
        if i < text:
            longest = max((len(w) for r in rows for w in _plain(r[i]).split()), default=1)
            t.add_column(col, overflow="fold", min_width=min(longest, 10))
        else:
            width = max(len(_plain(r[i])) for r in rows) if rows else 1
            t.add_column(col, justify="right", overflow="fold", min_width=width)
    for r in rows:
        t.add_row(*r)
    return t


def _plain(cell: str) -> str:
    """A cell's text without rich markup (for widths)."""
    out, skip = [], False
    for ch in cell:
        if ch == "[":
            skip = True
        elif ch == "]" and skip:
            skip = False
        elif not skip:
            out.append(ch)
    return "".join(out)
