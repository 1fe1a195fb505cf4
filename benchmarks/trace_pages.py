"""Where Chromium's time goes on a dashboard page: a Chrome trace of each load, summed.

Starts ``gigaline serve`` on the database of ``GIGALINE_BENCH_DB`` (as ``bench_web.py``, whose
dataset, server and targets it reuses: run it with ``--reuse --days 1`` first), logs in, loads
each page ``--repeats`` times (after one load that warms the cache) under Chrome's tracing
(``devtools.timeline``), and prints per page the median over the loads of

- the milestones from the navigation's start: the last byte received, DOMContentLoaded, the
  load event and "interactive" (``bench_web.py``'s: every chart drawn with its data);
- the renderer main thread's time by kind of work, as self time (a task's time less the
  tasks inside it): parsing the HTML, script (compiling, running), style, layout, painting,
  the rest; and the forced layouts (a layout inside script) and their time;
- each chart's draw, from the ``performance.measure`` entries ``static/web.js`` makes
  (``draw chart-timeline`` ...).

Run: ``GIGALINE_BENCH_DB=gl_mine_1d python benchmarks/trace_pages.py --only "plant|line"``.
Never against a database someone else is measuring. The traces of the last load of each page
are kept in ``out/bench/trace-<page>.json`` (open them in Chrome's DevTools, Performance tab).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_web as bw

CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "blink.user_timing",
    "v8.execute",
]
#: Trace event names to the kind of work they are (the rest counts as "other").
KINDS = {
    "ParseHTML": "parse HTML",
    "EvaluateScript": "script",
    "v8.compile": "script",
    "v8.compileModule": "script",
    "FunctionCall": "script",
    "TimerFire": "script",
    "EventDispatch": "script",
    "FireAnimationFrame": "script",
    "v8.evaluateModule": "script",
    "V8.GCScavenger": "gc",
    "MajorGC": "gc",
    "MinorGC": "gc",
    "BlinkGC.AtomicPhase": "gc",
    "UpdateLayoutTree": "style",
    "ParseAuthorStyleSheet": "style",
    "Layout": "layout",
    "UpdateLayerTree": "paint",
    "PrePaint": "paint",
    "Paint": "paint",
    "Layerize": "paint",
    "CompositeLayers": "paint",
    "Commit": "paint",
    "HitTest": "other",
}


def _main_thread(events: list[dict[str, Any]]) -> tuple[int, int] | None:
    """The (pid, tid) of the renderer's main thread of the page (the busiest CrRendererMain)."""
    names = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
        and e["args"].get("name") == "CrRendererMain"
    }  # fmt: skip
    busy: dict[tuple[int, int], float] = defaultdict(float)
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if key in names and e.get("ph") == "X":
            busy[key] += e.get("dur", 0)  # type: ignore[index]
    return max(busy, key=busy.__getitem__) if busy else None


def split(events: list[dict[str, Any]], t0_us: float, t1_us: float) -> dict[str, float]:
    """Self time [ms] by kind on the main thread between t0 and t1 (trace microseconds), the
    forced layouts (a Layout or UpdateLayoutTree inside script) and their count."""
    main = _main_thread(events)
    xs = sorted(
        (e for e in events if (e.get("pid"), e.get("tid")) == main and e.get("ph") == "X"
         and t0_us <= e["ts"] <= t1_us and "dur" in e),
        key=lambda e: (e["ts"], -e["dur"]),
    )  # fmt: skip
    out: dict[str, float] = defaultdict(float)
    stack: list[tuple[float, str, list[float]]] = []  # (end, kind, [children's time])
    forced = 0

    def close(until: float) -> None:
        while stack and stack[-1][0] <= until:
            _end, kind, child = stack.pop()
            out[kind] += child[1] / 1000 - child[0] / 1000
            if stack:
                stack[-1][2][0] += child[1]

    for e in xs:
        close(e["ts"])
        kind = KINDS.get(e["name"], "other")
        if kind in ("layout", "style") and any(k == "script" for _, k, _ in stack):
            if e["name"] == "Layout":
                forced += 1
            out["forced " + kind] += e["dur"] / 1000
        stack.append((e["ts"] + e["dur"], kind, [0.0, float(e["dur"])]))
    close(float("inf"))
    out["forced layouts (n)"] = forced
    out["busy"] = sum(v for k, v in out.items() if not k.startswith("forced"))
    return dict(out)


_MILESTONES = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  const m = {};
  for (const e of performance.getEntriesByType('measure')) m[e.name] = e.duration;
  return {response_end: n.responseEnd, dom_content_loaded: n.domContentLoadedEventEnd,
          load: n.loadEventEnd, bytes: n.transferSize, timeOrigin: performance.timeOrigin,
          nodes: document.getElementsByTagName('*').length, measures: m};
}"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--only", help="pages whose label matches this regular expression")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    url = bw.db_url(bw.DB_NAME)
    tokens = bw._tokens(url)
    tg = bw.targets(bw.DB_NAME)
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    with bw.server(url) as (base, _pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        page.set_default_timeout(600_000)
        page.goto(base + "/login?next=/holds")
        page.fill("input[name=token]", tokens["viewer"])
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/holds$"))
        for label, path in bw.pages(tg):
            if args.only and not re.search(args.only, label):
                continue
            rows: list[dict[str, float]] = []
            trace_path = bw.OUT / f"trace-{re.sub(r'[^a-z]+', '-', label)}.json"
            for i in range(args.repeats + 1):
                target = base + path.replace("{n:04d}", f"{i:04d}")
                browser.start_tracing(page=page, categories=CATEGORIES, path=trace_path)
                page.goto(target, wait_until="commit")
                ready = float(page.wait_for_function(bw._READY, polling=10).json_value())
                m = page.evaluate(_MILESTONES)
                raw = browser.stop_tracing()
                if not i:
                    continue
                events = json.loads(raw)["traceEvents"]
                # the navigation's start in trace time: the navigationStart mark of this load
                starts = [
                    e["ts"] for e in events if e.get("name") == "navigationStart"
                    and e["args"].get("data", {}).get("documentLoaderURL", "").startswith("http")
                ]  # fmt: skip
                t0 = max(starts) if starts else min(e["ts"] for e in events if "ts" in e)
                row = {
                    "received": m["response_end"], "DOMContentLoaded": m["dom_content_loaded"],
                    "load": m["load"], "interactive": ready, "kB": m["bytes"] / 1e3,
                    "nodes": m["nodes"],
                    **{f"measure {k}": v for k, v in m["measures"].items()},
                    **split(events, t0, t0 + ready * 1000),
                }  # fmt: skip
                rows.append(row)
            keys = list(dict.fromkeys(k for r in rows for k in r))
            print(f"{label} (median of {len(rows)} loads; trace of the last: {trace_path})")
            for k in keys:
                vals = [r.get(k, 0.0) for r in rows]
                print(f"  {k:28s} {statistics.median(vals):9.1f}   "
                      f"(min {min(vals):.1f}, max {max(vals):.1f})")  # fmt: skip
        browser.close()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
