"""The binned state timeline: above MAX_BARS stretches, one heatmap cell per station and bin,
coloured by the state that held longest in the bin (worked by hand below)."""

from __future__ import annotations

from typing import Any

import pytest

from gigaline.mes.services.models import Floor, StateSegment
from gigaline.web import charts

START, END = "2026-01-05T06:00:00Z", "2026-01-05T14:00:00Z"  # 8 h: 480 bins of 60 s


def _seg(station: str, state: str, a: str, b: str, reason: str | None = None) -> StateSegment:
    from datetime import datetime

    da = datetime.fromisoformat(f"2026-01-05T{a}+00:00")
    db = datetime.fromisoformat(f"2026-01-05T{b}+00:00")
    return StateSegment(station=station, state=state, reason=reason, start=f"2026-01-05T{a}Z",
                        end=f"2026-01-05T{b}Z", duration_s=(db - da).total_seconds())  # fmt: skip


def _floor(segments: list[StateSegment], start: str = START, end: str = END) -> Floor:
    return Floor(start=start, end=end, window_s=8 * 3600.0, stations=[], timeline=segments)


SEGMENTS = [
    _seg("stack-1", "running", "06:00:00", "06:00:40"),
    _seg("stack-1", "down", "06:00:40", "06:02:10", "jam"),
    _seg("stack-1", "running", "06:02:10", "14:00:00"),
    _seg("stack-2", "idle", "05:00:00", "06:30:00"),  # began before the window: clipped
    _seg("stack-2", "blocked", "06:30:00", "06:30:30"),  # half a bin, alone in it
]


def test_bin_widths() -> None:
    assert charts.bin_width_s(8 * 3600) == 60
    assert charts.bin_width_s(24 * 3600) == 300  # 288 bins
    assert charts.bin_width_s(600) == 1
    assert charts.bin_width_s(16 * 86400) == 3600  # 384 bins


def test_binned_cells_by_hand(monkeypatch: Any) -> None:
    monkeypatch.setattr(charts, "MAX_BARS", 0)  # bin even these few stretches
    fig = charts.timeline_figure(_floor(SEGMENTS), ["stack-1", "stack-2", "stack-3"])
    heat, *legend = fig["data"]
    assert heat["type"] == "heatmap" and heat["y"] == ["stack-1", "stack-2", "stack-3"]
    assert len(heat["x"]) == 480 and heat["x"][0] == "2026-01-05T06:00:30Z"
    run, down, idle, blocked = (list(charts.STATE_COLOURS).index(s)
                                for s in ("running", "down", "idle", "blocked"))  # fmt: skip
    z, share = heat["z"], heat["customdata"]
    # stack-1: bin 0 running 40 s + down 20 s; bin 1 down 60 s; bin 2 down 10 s + running 50 s
    assert z[0][:4] == [run, down, run, run] and share[0][:4] == [67, 100, 83, 100]
    assert z[0][-1] == run and share[0][-1] == 100
    # stack-2: idle from the window's start to 06:30 (bins 0-29), blocked 30 s of bin 30,
    # then nothing known: null (drawn empty), not a state
    assert z[1][:30] == [idle] * 30 and z[1][30] == blocked and share[1][30] == 100
    assert z[1][31:] == [None] * 449 and share[1][31] is None
    assert z[2] == [None] * 480  # a station with no stretch in the window
    # web.js writes each cell's hover text from these
    assert heat["meta"] == {"states": list(charts.STATE_COLOURS), "bin_s": 60}
    assert [t["name"] for t in legend] == ["running", "idle", "blocked", "down"]
    assert "held longest in its minute" in fig["layout"]["title"]["text"]


def test_few_stretches_stay_bars() -> None:
    fig = charts.timeline_figure(_floor(SEGMENTS))
    assert {t["type"] for t in fig["data"]} == {"bar"}
    assert sum(len(t["x"]) for t in fig["data"]) == len(SEGMENTS)


@pytest.mark.parametrize("n", [charts.MAX_BARS, charts.MAX_BARS + 1])
def test_the_switch(n: int) -> None:
    segs = [_seg("s-1", "running" if i % 2 else "idle", f"06:{i // 60:02d}:{i % 60:02d}",
                 f"06:{(i + 1) // 60:02d}:{(i + 1) % 60:02d}") for i in range(n)]  # fmt: skip
    kinds = {t["type"] for t in charts.timeline_figure(_floor(segs))["data"]}
    assert kinds == ({"bar"} if n <= charts.MAX_BARS else {"heatmap", "bar"})


def test_bins_on_the_clocks_minutes(monkeypatch: Any) -> None:
    """A window starting at 06:00:20 (windows end at the newest data): bins still start on
    whole minutes; the first holds the 40 s known of it."""
    monkeypatch.setattr(charts, "MAX_BARS", 0)
    segs = [
        _seg("s-1", "down", "06:00:20", "06:00:50"),
        _seg("s-1", "idle", "06:00:50", "06:01:30"),
    ]
    fig = charts.timeline_figure(
        _floor(segs, "2026-01-05T06:00:20Z", "2026-01-05T14:00:20Z"), ["s-1"]
    )
    heat = fig["data"][0]
    assert len(heat["x"]) == 481 and heat["x"][:2] == [
        "2026-01-05T06:00:30Z",
        "2026-01-05T06:01:30Z",
    ]
    down, idle = (list(charts.STATE_COLOURS).index(s) for s in ("down", "idle"))
    # bin 0: down 30 s, idle 10 s of the 40 s known; bin 1: idle 30 s, then nothing known
    assert heat["z"][0][:3] == [down, idle, None] and heat["customdata"][0][:2] == [75, 100]


@pytest.mark.parametrize("max_bars", [0, 10_000])
def test_the_layout_is_plotlys_own(monkeypatch: Any, max_bars: int) -> None:
    """The timeline's layout is built as plain JSON: the same as plotly's own figure JSON."""
    import plotly.graph_objects as go

    monkeypatch.setattr(charts, "MAX_BARS", max_bars)
    got = charts.timeline_figure(_floor(SEGMENTS))
    import plotly.io as pio

    height = got["layout"]["height"]
    template = go.layout.Template(pio.templates["plotly_white"])
    template.layout.yaxis.title = None  # no standoff: plotly.js would measure every name
    fig = go.Figure()
    fig.update_layout(
        template=template, margin={"l": 60, "r": 50, "t": 40, "b": 40},
        barmode="overlay", title=got["layout"]["title"]["text"],
        xaxis={"type": "date", "title": "time (UTC)", "range": [START, END], "tickangle": 0,
               "automargin": False, "ticklabeloverflow": "allow"},
        yaxis={"autorange": "reversed", "type": "category", "automargin": False},
        height=height, legend={"orientation": "h", "y": -75 / (height - 80), "yanchor": "top"},
    )  # fmt: skip
    assert got["layout"] == charts.figure_dict(fig)["layout"]
    assert "title" not in got["layout"]["template"]["layout"]["yaxis"]
    assert got["layout"]["template"]["layout"]["xaxis"]["title"] == {"standoff": 15}
    assert charts._template()["layout"]["yaxis"]["title"] == {"standoff": 15}  # shared: kept


def test_the_pareto_is_plotlys_own() -> None:
    """The downtime Pareto is built as plain JSON: the same as the validated plotly figure
    (the code it replaced)."""
    import plotly.graph_objects as go

    from gigaline.mes.services.models import DowntimeCause, OeeReport

    causes = [
        DowntimeCause(state="down", reason="jam", seconds=5400.0, occurrences=3, share=0.6,
                      cumulative=0.6),
        DowntimeCause(state="blocked", reason=None, seconds=3600.0, occurrences=11, share=0.4,
                      cumulative=1.0),
    ]  # fmt: skip
    report = OeeReport(since=START, until=END, by=None, silence_s=600.0, rows=[], pareto=causes)
    labels = ["down: jam", "blocked"]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=labels, y=[1.5, 1.0], name="downtime [h]",
        marker={"color": [charts.STATE_COLOURS["down"], charts.STATE_COLOURS["blocked"]]},
        customdata=[3, 11],
        hovertemplate="%{x}<br>%{y:.2f} h, began %{customdata} times<extra></extra>",
    ))  # fmt: skip
    fig.add_trace(go.Scatter(x=labels, y=[60.0, 100.0], yaxis="y2", name="cumulative [%]",
                             mode="lines+markers", line={"color": "black"}))  # fmt: skip
    fig.update_layout(
        template="plotly_white", margin={"l": 80, "r": 60, "t": 40, "b": 40},
        title="Downtime Pareto (ISO 22400-2: planned busy time not producing)",
        xaxis={"tickangle": 30}, yaxis={"title": "hours", "ticklabeloverflow": "allow"},
        showlegend=False,
        yaxis2={"title": "cumulative %", "overlaying": "y", "side": "right", "range": [0, 105],
                "tickmode": "linear", "dtick": 25, "showgrid": False, "ticklabeloverflow": "allow"},
    )  # fmt: skip
    assert charts.pareto_figure(report) == charts.figure_dict(fig)


def test_the_pareto_draws_no_cause_of_no_time() -> None:
    """A cause of 0 s to the second (a state that began at the window's last microsecond, as
    a live page is shown the change just stored) is not drawn: no bar of no height."""
    from gigaline.mes.services.models import DowntimeCause, OeeReport

    causes = [
        DowntimeCause(state="down", reason="jam", seconds=5400.0, occurrences=3, share=0.6,
                      cumulative=0.6),
        DowntimeCause(state="blocked", reason=None, seconds=0.5, occurrences=1, share=0.0,
                      cumulative=0.6),
        DowntimeCause(state="down", reason="web break (test)", seconds=9.5e-07, occurrences=1,
                      share=0.0, cumulative=0.6),
        DowntimeCause(state="idle", reason=None, seconds=0.0, occurrences=0, share=0.0,
                      cumulative=0.6),
    ]  # fmt: skip
    report = OeeReport(since=START, until=END, by=None, silence_s=600.0, rows=[], pareto=causes)
    fig = charts.pareto_figure(report)
    assert [t["x"] for t in fig["data"]] == [["down: jam", "blocked"]] * 2
    assert fig["data"][0]["y"] == [1.5, 0.5 / 3600] and fig["data"][0]["customdata"] == [3, 1]
    assert fig["data"][1]["y"] == [60.0, 60.0]
    assert charts.PARETO_MIN_S == 0.5


# -- the binning at once (numpy) against the former loop, one stretch at a time -------------


def _old_binned(f: Floor, stations: list[str]) -> tuple[Any, int]:
    """The binned timeline's cells as the former ``_binned_timeline`` added them: per stretch,
    in order, its part of each bin (the oracle of the numpy version)."""
    import math

    import numpy as np

    t0, t1 = charts._epoch_s(f.start), charts._epoch_s(f.end)
    width = charts.bin_width_s(t1 - t0)
    origin = math.floor(t0 / width) * width
    bins = max(1, math.ceil((t1 - origin) / width))
    names = list(charts.STATE_COLOURS)
    code = {s: i for i, s in enumerate(names)}
    row = {s: i for i, s in enumerate(stations)}
    held = np.zeros((len(stations), bins, len(names)))
    for seg in f.timeline:
        r = row.get(seg.station)
        if r is None:
            continue
        a = max(charts._epoch_s(seg.start) if seg.start else t0, t0) - origin
        b = min(charts._epoch_s(seg.end) if seg.end else t1, t1) - origin
        if b <= a:
            continue
        k = code.get(seg.state, code["unknown"])
        i, j = int(a // width), min(int(b // width), bins - 1)
        if i == j:
            held[r, i, k] += b - a
            continue
        held[r, i, k] += (i + 1) * width - a
        held[r, i + 1 : j, k] += width
        held[r, j, k] += b - j * width
    return held, width


def _random_floor(seed: int, hours: float, start: str) -> tuple[Floor, list[str]]:
    """Stretch-heavy timelines: stretches of 0.1 ms to an hour, some overlapping, some outside
    the window, some without start or end, states outside the contract, stations not drawn."""
    import random
    from datetime import datetime, timedelta

    rnd = random.Random(seed)
    t0 = datetime.fromisoformat(start.replace("Z", "+00:00"))
    t1 = t0 + timedelta(hours=hours)
    states = [*charts.STATE_COLOURS, "mystery"]
    w = charts.bin_width_s(hours * 3600)  # stretches of about a bin and some of a bin's edge
    short = [timedelta(microseconds=100), timedelta(seconds=min(1, w / 2)),
             timedelta(seconds=w) - timedelta(microseconds=1), timedelta(seconds=w),
             timedelta(seconds=1.5 * w)]  # fmt: skip
    segs = []
    for st in range(12):
        t = t0 - timedelta(seconds=rnd.uniform(0, 900))
        while t < t1 + timedelta(seconds=600):
            d = rnd.choice(short)
            d = d if rnd.random() < 0.98 else timedelta(seconds=rnd.uniform(0, 3600 * hours / 8))
            back = timedelta(seconds=rnd.uniform(0, 30)) if rnd.random() < 0.05 else timedelta()
            a, b = t - back, t + d
            segs.append(StateSegment(
                station=f"s-{st}", state=rnd.choice(states), reason=None,
                start=None if rnd.random() < 0.01 else a.isoformat().replace("+00:00", "Z"),
                end=None if rnd.random() < 0.01 else b.isoformat().replace("+00:00", "Z"),
                duration_s=(b - a).total_seconds(),
            ))  # fmt: skip
            t = b
    end = t1.isoformat().replace("+00:00", "Z")
    f = Floor(start=start, end=end, window_s=hours * 3600, stations=[], timeline=segs)
    return f, [f"s-{i}" for i in range(10)] + ["s-none"]  # s-10, s-11 not drawn


@pytest.mark.parametrize(
    ("seed", "hours", "start"),
    [(1, 8.0, "2026-01-05T06:00:00Z"), (2, 8.0123, "2026-01-05T06:00:20.123457Z"),
     (3, 24.0, "2026-01-05T05:59:59.999999Z"), (4, 0.1, "2026-01-05T06:00:00.5Z"),
     (5, 400.0, "2026-01-05T06:17:00Z")],
)  # fmt: skip
def test_the_cells_are_the_former_loops(seed: int, hours: float, start: str) -> None:
    """The cells summed by numpy at once are the loop's to the last bit (the same sums in the
    same order), so the same state and share in every cell, on windows on and off the clock's
    bins and of bins of 1 s to 1 h."""
    import numpy as np

    f, stations = _random_floor(seed, hours, start)
    old, width = _old_binned(f, stations)
    a, b = charts._segment_seconds(f, f.timeline)
    t0, t1 = charts._epoch_s(f.start), charts._epoch_s(f.end)
    code = {s: i for i, s in enumerate(charts.STATE_COLOURS)}
    row = {s: i for i, s in enumerate(stations)}
    rows = np.array([row.get(s.station, -1) for s in f.timeline], np.int64)
    codes = np.array([code.get(s.state, code["unknown"]) for s in f.timeline], np.int64)
    new = charts._held(t0, t1, width, len(stations), rows, codes, a, b)
    assert len(f.timeline) > charts.MAX_BARS
    assert new.shape == old.shape and np.array_equal(new, old)
    assert old[:, :, -1].any()  # the states outside the contract: unknown
