"""Quality commands on the MES: ``spc`` (control chart, rules, capability, alarms, holds) and
``grade`` (cell grades and module matching from the stored test results)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from gigaline.cli._app import app, console
from gigaline.cli._store import open_db
from gigaline.cli.mes import DbOpt, JsonOpt, _print_json
from gigaline.errors import FieldError

LineOpt = Annotated[
    Path | None,
    typer.Option("--line", help="Line file whose quality section to use (default: the one "
                 "stored by `gigaline mes init`).", metavar="LINE.yaml"),
]  # fmt: skip


def _since(text: str | None, field: str = "since") -> datetime | None:
    """A time option (RFC 3339; no zone means UTC) as an aware UTC datetime."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise FieldError(
            field, text, "not a time; give RFC 3339 / ISO 8601, e.g. 2026-01-05T06:00Z"
        ) from exc
    try:
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:  # an offset that moves it out of the years 1-9999
        raise FieldError(field, text, "outside the years 1-9999 in UTC") from None


def _quality(line_file: Path | None) -> Any:
    if line_file is None:
        return None
    from gigaline.model import load_line
    from gigaline.model.quality import QualitySpec

    return load_line(line_file).quality or QualitySpec()


@app.command()
def spc(
    step: Annotated[str, typer.Argument(help="Step id, as in the line file.")],
    param: Annotated[str, typer.Argument(help="Parameter name, as in the process events.")],
    db: DbOpt = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only records from this time on (RFC 3339).")
    ] = None,
    chart: Annotated[
        str, typer.Option("--chart", help="imr | xbar_r | xbar_s | ewma | cusum.")
    ] = "imr",
    rules: Annotated[str, typer.Option("--rules", help="nelson | western_electric.")] = "nelson",
    subgroup: Annotated[
        int, typer.Option("--subgroup", help="Records per subgroup (xbar_r, xbar_s).")
    ] = 5,
    baseline: Annotated[
        int | None,
        typer.Option(
            "--baseline",
            help="Estimate the limits from the first N points only and "
            "judge the later ones against them (phase II).",
        ),
    ] = None,
    line_file: LineOpt = None,
    raise_alarms: Annotated[
        bool,
        typer.Option(
            "--raise-alarms",
            help="Store each new rule violation as an alarm, and hold the units of the "
            "violating points where the line's spec says hold_on_violation: true. Without it, "
            "spc only looks: it changes nothing.",
        ),
    ] = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the chart as self-contained HTML.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Control chart of a stored process parameter: rules and capability; with
    --raise-alarms, alarms and holds."""
    from gigaline.cli._checks import number, output_file
    from gigaline.mes.services import run_spc
    from gigaline.model import bounds

    number("--subgroup", subgroup, bounds.SUBGROUP)
    if baseline is not None:
        number("--baseline", baseline, bounds.BASELINE)
    when = _since(since)
    if plot is not None:
        output_file("--plot", plot, "spc.html")

    with open_db(db, read_only=not raise_alarms) as store:  # looking never writes
        res = run_spc(
            store, step, param, since=when, chart=chart, rules=rules,
            subgroup_size=subgroup, baseline=baseline, quality=_quality(line_file),
            raise_alarms=raise_alarms,
        )  # fmt: skip
    if plot is not None:
        from gigaline.mes.spc_plot import write_html

        write_html(res, plot)
    if json_out:
        _print_json(res)
        return
    d = res.model_dump()
    console.print(
        f"[bold]{step}/{param}[/]: {d['chart']} chart of {d['points']} points "
        f"({d['records']} records, {d['first']} .. {d['last']})"
    )
    console.print(f"  centre {_fmt(d['center'])}  LCL {_fmt(d['lcl'])}  UCL {_fmt(d['ucl'])}"
                  f"  sigma {_fmt(d['sigma'])}")  # fmt: skip
    if not res.violations:
        console.print(f"  [green]no violations[/] ({rules})")
    for rule, idx in sorted(res.violations.items()):
        console.print(f"  [red]rule {rule}[/]: {len(idx)} point(s), first at {idx[:10]}")
    cap = d["capability"]
    if cap is not None:
        console.print(f"  capability: Cp {_fmt(cap['cp'])}  Cpk {_fmt(cap['cpk'])} "
                      f"(95 % CI {_fmt(cap['cpk_ci'][0])}..{_fmt(cap['cpk_ci'][1])})  "
                      f"Pp {_fmt(cap['pp'])}  Ppk {_fmt(cap['ppk'])}")  # fmt: skip
    else:
        console.print("  capability: no spec limits for this parameter in the line's quality.specs")
    if raise_alarms:
        console.print(f"  new alarms: {d['new_alarms']}")
    elif res.violations:
        console.print("  alarms: none stored (only looked; --raise-alarms stores the violations"
                      " as alarms, and holds where the spec says hold_on_violation)")  # fmt: skip
    if d["hold"] is not None:
        h = d["hold"]
        console.print(f"  [yellow]hold {h['id']}[/]: {h['units']} units ({h['reason']})")
    if plot is not None:
        console.print(f"  chart written to {plot}")


def _fmt(v: Any) -> str:
    from gigaline.cli._tables import num

    if v is None:
        return "-"
    if isinstance(v, list):
        return f"{num(min(v), '.6g')}..{num(max(v), '.6g')}" if v else "-"
    return num(v, ".6g")


@app.command()
def grade(
    db: DbOpt = None,
    line_file: LineOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Grade every tested cell from its stored results, store the grades, match modules."""
    from gigaline.mes.services import grade_stored_cells

    with open_db(db) as store:
        res = grade_stored_cells(store, _quality(line_file))
    d = res.model_dump()
    if json_out:
        _print_json(d)
        return
    from rich.markup import escape

    from gigaline.cli._tables import num, number_table, print_table

    console.print(f"[bold]{d['cells']:,}[/] cells graded")
    rows = [
        (escape(name), f"{count:,}", num(count / d["cells"] * 100.0, ".2f") + " %")
        for name, count in d["counts"].items()
    ]
    print_table(number_table("Grades", ("grade", "cells", "share"), rows, text=1))
    m = d["matching"]
    if m is None:
        console.print("  matching: the line has no quality.matching")
    else:
        console.print(f"  matching: {m['modules']} modules of {m['cells_per_module']}, "
                      f"{m['matched']} of {m['eligible']} eligible cells "
                      f"({m['match_rate'] * 100:.2f} %), {m['leftovers']} left over")  # fmt: skip
