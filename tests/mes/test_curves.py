"""Formation and aging curves: lossless enough storage and closed-form features."""

from __future__ import annotations

import numpy as np
import pytest

from gigaline.mes.curves import curve_features, decode_curve, encode_curve
from gigaline.mes.synth import aging_ocv_curve, formation_curve


def test_encode_decode_round_trip_in_float32() -> None:
    curve = formation_curve(280.0, 0.2, 0.8, 60.0, 0.0)
    names, data = encode_curve(curve)
    back = decode_curve(names, data, len(curve["voltage_v"]))
    assert names == ["voltage_v", "current_a"]
    np.testing.assert_allclose(back["voltage_v"], curve["voltage_v"], rtol=1e-7)
    raw_bytes = 8 * 2 * len(curve["voltage_v"])  # float64 samples
    assert len(data) < raw_bytes / 2  # compressed float32 is well under half of float64


def test_constant_current_charge_throughput_is_current_times_time() -> None:
    # 0.2 C of 280 Ah = 56 A to 80 % SOC takes 4 h; sampled every 60 s: 241 samples.
    curve = formation_curve(280.0, 0.2, 0.8, 60.0, 0.0)
    f = curve_features(curve, 60.0)
    assert len(curve["current_a"]) == 241
    assert f["duration_s"] == pytest.approx(4 * 3600.0)
    # rectangle rule over 241 samples: 56 A x 241 x 60 s / 3600 = 224.93 Ah (0.8 x 280 + 1 dt)
    assert f["charge_ah"] == pytest.approx(56.0 * 241 * 60.0 / 3600.0)
    assert 3.3 < f["voltage_v_last"] < 3.5 and f["voltage_v_first"] == pytest.approx(2.9)


def test_aging_slope_recovers_the_self_discharge_rate() -> None:
    curve = aging_ocv_curve(3.34, 0.5, 21)
    f = curve_features({"voltage_v": curve["ocv_v"]}, 86400.0)
    assert f["dvdt_mv_per_day"] == pytest.approx(-0.5, abs=1e-3)
    assert f["voltage_v_last"] == pytest.approx(3.34 - 21 * 0.5e-3, abs=1e-5)
