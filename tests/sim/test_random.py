"""The kernel's samplers against the line-file distributions they stand for: every distribution
reproduces the mean and variance that gigaline.model.distributions states for it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from gigaline.model.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Normal,
    Triangular,
    Uniform,
    Weibull,
)
from gigaline.sim._random import binomial, sample, std_exponential
from gigaline.sim.compile import _Dists

N = 40_000
CASES: list[Distribution] = [
    Fixed(value="2 s"),
    Exponential(dist="exponential", mean="3 s"),
    Normal(dist="normal", mean="10 s", sd="1 s"),
    Lognormal(dist="lognormal", mean="5 s", sd="2 s"),
    Gamma(dist="gamma", shape=0.5, scale="4 s"),
    Gamma(dist="gamma", shape=4, scale="0.5 s"),
    Weibull(dist="weibull", shape=1.5, scale="3 h"),
    Uniform(dist="uniform", low="1 s", high="3 s"),
    Triangular(dist="triangular", low="250 s", mode="300 s", high="400 s"),
    Empirical(dist="empirical", values=["0.7 s", "0.8 s", "0.9 s"]),
]


def _draws(d: Distribution, seed: int = 5) -> np.ndarray:  # type: ignore[type-arg]
    table = _Dists()
    k = table.add(d)
    p = table.params[k]
    emp = np.asarray(table.emp or [0.0])
    rng = np.array([seed], dtype=np.uint64)
    with np.errstate(over="ignore"):
        return np.array([sample(table.kinds[k], *p, emp, rng, 0) for _ in range(N)])


@pytest.mark.parametrize("dist", CASES, ids=lambda d: f"{d.dist}")
def test_sampler_mean_and_variance(dist: Distribution) -> None:
    x = _draws(dist)
    assert (x >= 0).all()
    se = math.sqrt(dist.var_s2 / N)
    assert abs(x.mean() - dist.mean_s) <= 4 * se + 1e-12 * dist.mean_s, (x.mean(), dist.mean_s)
    if dist.var_s2 > 0:
        # the sample variance of N draws is within ~10 % for these shapes (4 sd of its estimate)
        assert x.var() == pytest.approx(dist.var_s2, rel=0.1)


def test_ziggurat_exponential_passes_kolmogorov_smirnov() -> None:
    rng = np.array([11], dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = np.array([std_exponential(rng, 0) for _ in range(N)])
    assert stats.kstest(x, "expon").pvalue > 0.01


def test_binomial_scrap_counts() -> None:
    rng = np.array([3], dtype=np.uint64)
    with np.errstate(over="ignore"):
        small = np.array([binomial(256, 0.01, rng, 0) for _ in range(20_000)])  # inversion
        large = np.array([binomial(5000, 0.02, rng, 0) for _ in range(20_000)])  # normal approx.
    assert small.mean() == pytest.approx(2.56, abs=4 * math.sqrt(2.56 * 0.99 / 20_000))
    assert small.var() == pytest.approx(256 * 0.01 * 0.99, rel=0.05)
    assert large.mean() == pytest.approx(100.0, abs=4 * math.sqrt(98 / 20_000))
    assert binomial(1, 0.0, rng, 0) == 0 and binomial(7, 1.0, rng, 0) == 7
