"""``gigaline oee``: live OEE per ISO 22400-2 and the downtime Pareto, from the MES database.

Reads only: it never creates the database or writes to it (:func:`gigaline.mes.services.oee.
live_oee`; ``docs/live.md`` says which times are which).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gigaline.cli._app import app, console
from gigaline.cli._store import open_db
from gigaline.cli._tables import num, number_table, print_table
from gigaline.cli.mes import DbOpt, JsonOpt, _print_json
from gigaline.cli.spc import _since


def _pct(v: float | None) -> str:
    return "-" if v is None else num(v * 100, ".2f") + " %"


def _h(seconds: float) -> str:
    return num(seconds / 3600.0, ",.2f")


@app.command()
def oee(
    db: DbOpt = None,
    station: Annotated[
        str | None, typer.Option("--station", help="One station (e.g. stacking-1).")
    ] = None,
    step: Annotated[
        str | None, typer.Option("--step", help="One step and its stations (a line file's id).")
    ] = None,
    line: Annotated[
        str | None, typer.Option("--line", help="The line (default: the store's only line).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Window start, RFC 3339 (default: 24 h before --until)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Window end, RFC 3339 (default and latest: now).")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="shift: one row per shift of the line calendar.")
    ] = None,
    silence: Annotated[
        float | None,
        typer.Option(
            "--silence",
            help="Seconds of silence of a running station from which its "
            "time is unqualified downtime (default: $GIGALINE_OEE_SILENCE_S, 7200).",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Availability, performance, quality, OEE (ISO 22400-2) and the downtime Pareto."""
    from gigaline.cli._checks import number
    from gigaline.kpi import EFFECTIVENESS_ABOVE_ONE, effectiveness_above_one
    from gigaline.mes.services.oee import live_oee
    from gigaline.model import bounds

    start, end = _since(since), _since(until, "until")  # checked before the database is opened
    if silence is not None:
        number("--silence", silence, bounds.POSITIVE_TIME)
    with open_db(db, read_only=True) as store:
        rep = live_oee(
            store, station=station, step=step, line=line, since=start,
            until=end, by=by, silence_s=silence,  # type: ignore[arg-type]
        )  # fmt: skip
    if json_out:
        _print_json(rep)
        return
    console.print(f"[bold]OEE[/] (ISO 22400-2) from {rep.since} to {rep.until}", highlight=False)
    header = ("scope", "name", *(("shift",) if rep.by else ()), "stations", "availability",
              "performance", "quality", "OEE", "PBT h", "APT h", "unqualified h", "produced",
              "good")  # fmt: skip
    fast = [r.performance is not None and effectiveness_above_one(r.performance, tol=5e-5)
            for r in rep.rows]  # fmt: skip
    rows = [
        (r.scope, r.name, *((r.shift or "",) if rep.by else ()), str(r.stations),
         _pct(r.availability), _pct(r.performance) + ("*" if f else ""), _pct(r.quality),
         _pct(r.oee), _h(r.planned_busy_s), _h(r.production_s), _h(r.unqualified_s),
         f"{r.produced:,}", f"{r.good:,}")
        for r, f in zip(rep.rows, fast, strict=True)
    ]  # fmt: skip
    note = "* " + EFFECTIVENESS_ABOVE_ONE if any(fast) else None
    print_table(number_table("OEE", header, rows, text=3 if rep.by else 2, caption=note))
    notes: dict[str, Any] = {}
    for r in rep.rows:
        for name, why in r.undefined.items():
            if name != "oee":
                notes.setdefault(f"{name} of {r.name}", why)
    for what, why in list(notes.items())[:10]:
        console.print(f"undefined: {what}: {why}", highlight=False, markup=False)
    if not rep.pareto:
        console.print("no downtime in the window")
        return
    p_header = ("state", "reason", "hours", "occurrences", "share", "cumulative")
    p_rows = [
        (c.state, c.reason or "-", _h(c.seconds), f"{c.occurrences:,}", _pct(c.share),
         _pct(c.cumulative))
        for c in rep.pareto
    ]  # fmt: skip
    print_table(number_table("Downtime Pareto", p_header, p_rows, text=2))
