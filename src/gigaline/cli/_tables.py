"""Terminal tables that never cut a number: text columns wrap, number columns keep their width.

Every table of every command is built by :func:`number_table` and printed by
:func:`print_table`:

* a number column never wraps (``no_wrap``) and never shrinks below its widest cell (and the
  longest word of its header), so no digit is ever folded onto the next line or cut to ``…``;
* text columns (names, units, methods) wrap at spaces; a single word longer than
  :data:`NAME_WIDTH` is folded, never a number;
* on a terminal the table fits the window where it can; where even its narrowest layout is
  wider, it is printed wider (the terminal wraps the line) rather than cut;
* piped to a file or another program, with no ``COLUMNS`` in the environment, a table gets its
  natural width up to :data:`PIPED_WIDTH` (its text wraps past that; its numbers never): rich
  would assume 80 columns there, but a file has none;
* :func:`num` formats a number without the ``-0.000`` of a tiny negative rounded to zero.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

__all__ = ["NAME_WIDTH", "PIPED_WIDTH", "num", "number_table", "print_table", "table_width"]

#: A word of a text column up to this many characters is never folded (step ids, units).
NAME_WIDTH = 20
#: Piped with no ``COLUMNS``: a table as wide as it needs, its text wrapped past this width.
PIPED_WIDTH = 160


def num(x: float | int | None, spec: str = ",.3f", none: str = "-") -> str:
    """``x`` formatted with ``spec``; ``none`` for None or NaN; never ``-0``
    (:func:`gigaline.model.units.format_number`)."""
    from gigaline.model.units import format_number  # (not at import: --help stays light)

    return format_number(x, spec, none)


def number_table(
    title: str | None,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    text: int | Sequence[int],
    caption: str | None = None,
) -> Table:
    """A table whose text columns wrap and whose number columns never shrink.

    ``text``: the number of leading text columns, or the indices of the text columns (the
    others hold numbers, right-aligned). ``caption``: a footnote under the table.
    """
    text_cols = set(range(text)) if isinstance(text, int) else set(text)
    t = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for i, col in enumerate(header):
        head_word = max((len(w) for w in col.split()), default=1)
        head = Text(col, no_wrap=False, overflow="fold")  # a header wraps at its spaces
        if i in text_cols:
            longest = max((len(w) for r in rows for w in _plain(r[i]).split()), default=1)
            t.add_column(head, overflow="fold", min_width=min(max(longest, head_word), NAME_WIDTH))
        else:
            width = max((len(_plain(r[i])) for r in rows), default=1)
            t.add_column(head, justify="right", no_wrap=True, min_width=max(width, head_word))
    for r in rows:
        t.add_row(*r)
    return t


def table_width(table: Table, console: Console) -> int:
    """The width to print ``table`` at: the window (``COLUMNS``, or the terminal's) but never
    narrower than the table's narrowest layout; piped without ``COLUMNS``, its natural width
    up to :data:`PIPED_WIDTH`.

    Where the natural layout is wider than the window, the headers of number columns wrap at
    their spaces (their columns keep the width of their widest number) and the text columns
    give up the rest: rich's own last resort would shrink every column, numbers too.
    """
    natural = _measure(table, console).maximum
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        window = int(columns)
    elif console.is_terminal:
        window = console.width
    else:  # a file or a pipe: no window to fit, but prose still wraps past PIPED_WIDTH
        if natural <= PIPED_WIDTH:
            return max(natural, 1)
        window = PIPED_WIDTH
    if natural <= window:
        return window
    for c in table.columns:
        if c.no_wrap and c.min_width is not None:  # a number column
            c.max_width = c.min_width
    return max(window, _measure(table, console).minimum)


def _measure(table: Table, console: Console) -> Measurement:
    return Measurement.get(console, console.options.update_width(10_000), table)


def print_table(table: Table, console: Console | None = None) -> None:
    """Print ``table`` at :func:`table_width`, never cropped."""
    if console is None:
        from gigaline.cli._app import console as shared

        console = shared
    from rich.segment import Segments

    # (console.print(width=...) never exceeds the console's own width: render, then print)
    width = table_width(table, console)
    console.print(Segments(console.render(table, console.options.update_width(width))), crop=False)


def _plain(cell: str) -> str:
    """A cell's text without rich markup (for widths)."""
    if "[" not in cell:
        return cell
    from rich.errors import MarkupError

    try:
        return Text.from_markup(cell).plain
    except MarkupError:
        return cell
