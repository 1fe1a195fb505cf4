"""Formation and aging curves: compressed per-unit arrays plus summary features (pure, no I/O).

A formation curve sampled at 1 Hz for 24-72 h is about 10^5 points per cell; stored one row
per sample, 22 M cells a year would give ~2x10^12 rows (mes-standards notes, section 5). So a
curve is stored as one row: the channels as little-endian float32 arrays, compressed with zlib
(DEFLATE, RFC 1950), plus the features a quality engineer queries (charge throughput,
end-of-curve voltage, self-discharge rate K in mV/day).
"""

from __future__ import annotations

import zlib

import numpy as np
from numpy.typing import NDArray

__all__ = ["curve_features", "decode_curve", "encode_curve"]

_DTYPE = np.dtype("<f4")


def encode_curve(channels: dict[str, list[float]]) -> tuple[list[str], bytes]:
    """Channel names (in order) and their samples as one zlib-compressed float32 block."""
    names = list(channels)
    block = np.asarray([channels[n] for n in names], dtype=_DTYPE)
    return names, zlib.compress(block.tobytes(), 6)


def decode_curve(names: list[str], data: bytes, n: int) -> dict[str, NDArray[np.float32]]:
    """Inverse of :func:`encode_curve` (float32 precision: ~7 significant digits)."""
    block = np.frombuffer(zlib.decompress(data), dtype=_DTYPE).reshape(len(names), n)
    return {name: block[i] for i, name in enumerate(names)}


def curve_features(channels: dict[str, list[float]], dt_s: float) -> dict[str, float]:
    """Summary features of a curve sampled every ``dt_s`` seconds.

    For every channel: first, last, min, max, mean. With ``current_a``: charge throughput
    ``charge_ah`` = sum(I) dt / 3600 (rectangle rule). With ``voltage_v`` over more than one
    sample: the least-squares slope ``dvdt_mv_per_day`` (for aging, the negative of the
    self-discharge rate K). Duration ``duration_s`` = (n - 1) dt.
    """
    out: dict[str, float] = {}
    n = 0
    for name, values in channels.items():
        a = np.asarray(values, dtype=np.float64)
        n = a.size
        out[f"{name}_first"] = float(a[0])
        out[f"{name}_last"] = float(a[-1])
        out[f"{name}_min"] = float(a.min())
        out[f"{name}_max"] = float(a.max())
        out[f"{name}_mean"] = float(a.mean())
    out["duration_s"] = (n - 1) * dt_s
    if "current_a" in channels:
        out["charge_ah"] = float(np.sum(np.asarray(channels["current_a"])) * dt_s / 3600.0)
    voltage = channels.get("voltage_v")
    if voltage is not None and len(voltage) > 1:
        t_day = np.arange(len(voltage)) * dt_s / 86400.0
        slope_v_per_day = np.polyfit(t_day, np.asarray(voltage, dtype=np.float64), 1)[0]
        out["dvdt_mv_per_day"] = float(slope_v_per_day * 1000.0)
    return out
