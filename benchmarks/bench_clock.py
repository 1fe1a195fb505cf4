"""Drift of the virtual-line clock at real time (speed 1), against naive relative sleeps.

    python benchmarks/bench_clock.py [--seconds 600] [--step 0.5]

Paces items due every ``--step`` twin seconds for ``--seconds`` at speed 1 with
:class:`gigaline.virtual.clock.Clock` (absolute schedule), and, as the baseline in the same
run (interleaved in two threads), with ``time.sleep(step)`` per item (each sleep's overshoot
adds up). Prints each one's lateness at the end, its median and maximum per item, and the drift
per hour (least-squares slope of lateness against time), the target being under 0.1 s/h.
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np

from gigaline.virtual.clock import Clock


def _clock(seconds: float, step: float, out: list[float]) -> None:
    clock = Clock(speed=1.0)
    clock.start()
    t0 = time.monotonic()
    for k in range(int(seconds / step)):
        clock.wait_until(k * step)
        out.append(time.monotonic() - t0 - k * step)


def _naive(seconds: float, step: float, out: list[float]) -> None:
    t0 = time.monotonic()
    for k in range(int(seconds / step)):
        if k:
            time.sleep(step)
        out.append(time.monotonic() - t0 - k * step)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--step", type=float, default=0.5)
    args = ap.parse_args()
    lag: dict[str, list[float]] = {"clock": [], "naive sleep (baseline)": []}
    threads = [
        threading.Thread(target=f, args=(args.seconds, args.step, lag[name]))
        for f, name in ((_clock, "clock"), (_naive, "naive sleep (baseline)"))
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    drift = {}
    for name, xs in lag.items():
        a = np.array(xs)
        t = np.arange(a.size) * args.step
        slope = float(np.polyfit(t, a, 1)[0]) * 3600.0
        drift[name] = slope
        print(
            f"{name}: {a.size} items over {args.seconds:g} s; late at the end "
            f"{a[-1] * 1e3:.2f} ms, per item median {np.median(a) * 1e3:.2f} ms, "
            f"max {a.max() * 1e3:.2f} ms; drift {slope * 1e3:.1f} ms/h"
        )
    ratio = drift["naive sleep (baseline)"] / max(abs(drift["clock"]), 1e-9)
    verdict = "ok" if abs(drift["clock"]) < 0.1 else "MISSED"
    print(f"drift ratio baseline / clock: {ratio:.0f}x; target < 100 ms/h: {verdict}")


if __name__ == "__main__":
    main()
