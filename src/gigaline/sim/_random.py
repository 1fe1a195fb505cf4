"""Random numbers inside the kernel: one SplitMix64 stream per purpose and step.

Why not ``numpy.random.Generator``: the kernel needs one independent stream per step (common
random numbers across scenarios: changing a buffer must not reshuffle the failures of another
step), held in a plain ``uint64`` array that numba compiles and pure Python runs alike, with
identical bits. SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
generators", OOPSLA 2014, doi:10.1145/2714064.2660195) passes BigCrush and needs one word of
state. Streams are seeded from :class:`numpy.random.SeedSequence`, so nearby seeds give
unrelated streams.

The samplers follow the line-file distributions (gigaline.model.distributions): inverse
transform where it is exact, Box-Muller for the normal, Marsaglia and Tsang (ACM TOMS 26(3),
2000, doi:10.1145/358407.358414) for the gamma.
"""

from __future__ import annotations

import math

import numpy as np

from gigaline.sim._jit import jit, jit_inline
from gigaline.sim._layout import (
    D_EMPIRICAL,
    D_EXPONENTIAL,
    D_FIXED,
    D_GAMMA,
    D_LOGNORMAL,
    D_NORMAL,
    D_TRIANGULAR,
    D_UNIFORM,
    D_WEIBULL,
)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_M53 = 1.0 / 9007199254740992.0


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    """Tables of the 256-layer exponential ziggurat (Marsaglia and Tsang, "The ziggurat method
    for generating random variables", J. Statistical Software 5(8), 2000, doi:10.18637/jss.v005.i08,
    function zigset), in the paper's 32-bit scale."""
    m2 = 4294967296.0
    de = 7.697117470131487
    te = de
    ve = 3.949659822581572e-3
    ke, we, fe = np.zeros(256), np.zeros(256), np.zeros(256)
    q = ve / math.exp(-de)
    ke[0] = math.floor(de / q * m2)
    we[0], we[255] = q / m2, de / m2
    fe[0], fe[255] = 1.0, math.exp(-de)
    for i in range(254, 0, -1):
        de = -math.log(ve / de + math.exp(-de))
        ke[i + 1] = math.floor(de / te * m2)
        te = de
        fe[i] = math.exp(-de)
        we[i] = de / m2
    return ke, we, fe


_ZKE, _ZWE, _ZFE = _ziggurat_tables()
_ZR = 7.697117470131487  # start of the tail
_S32 = np.uint64(32)
_M8 = np.uint64(255)


@jit_inline
def next_u64(rng: np.ndarray, i: int) -> np.uint64:  # type: ignore[type-arg]
    """Next 64 random bits of stream ``i`` (SplitMix64)."""
    x = rng[i] + _GOLDEN
    rng[i] = x
    z = (x ^ (x >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)  # type: ignore[no-any-return]


@jit
def uniform(rng: np.ndarray, i: int) -> float:  # type: ignore[type-arg]
    """Next number of stream ``i`` in [0, 1), 53 random bits."""
    return float(next_u64(rng, i) >> _S11) * _TWO_M53


@jit_inline
def std_exponential(rng: np.ndarray, i: int) -> float:  # type: ignore[type-arg]
    """A unit-mean exponential variate by the ziggurat (about 99 % need one draw, no log).

    The layer comes from the low 8 bits and the position from the high 32 bits of one 64-bit
    draw, so that the two are independent (the paper reuses bits of one 32-bit word). The
    common case is inlined into the caller; the rest is :func:`_exponential_edge`.
    """
    r = next_u64(rng, i)
    iz = int(r & _M8)
    jz = float(r >> _S32)
    if jz < _ZKE[iz]:
        return float(jz * _ZWE[iz])
    return _exponential_edge(rng, i, iz, jz)


@jit
def _exponential_edge(rng: np.ndarray, i: int, iz: int, jz: float) -> float:  # type: ignore[type-arg]
    """The ziggurat's rare cases for a draw (``iz``, ``jz``) outside its layer's rectangle:
    the tail (layer 0) or the wedge test, drawing anew when the wedge rejects."""
    while True:
        if iz == 0:
            return _ZR - math.log(1.0 - uniform(rng, i))
        x = float(jz * _ZWE[iz])
        if _ZFE[iz] + uniform(rng, i) * (_ZFE[iz - 1] - _ZFE[iz]) < math.exp(-x):
            return x
        r = next_u64(rng, i)
        iz = int(r & _M8)
        jz = float(r >> _S32)
        if jz < _ZKE[iz]:
            return float(jz * _ZWE[iz])


@jit
def std_normal(rng: np.ndarray, i: int) -> float:
    """A standard normal variate (Box-Muller, one of the pair)."""
    u1 = 1.0 - uniform(rng, i)  # (0, 1]: log is finite
    u2 = uniform(rng, i)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@jit
def _gamma(rng: np.ndarray, i: int, shape: float, scale: float) -> float:
    boost = 1.0
    a = shape
    if a < 1.0:  # Marsaglia-Tsang: G(a) = G(a + 1) * U^(1/a)
        boost = (1.0 - uniform(rng, i)) ** (1.0 / a)
        a += 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        z = std_normal(rng, i)
        v = 1.0 + c * z
        if v <= 0.0:
            continue
        v = v * v * v
        u = 1.0 - uniform(rng, i)
        if math.log(u) < 0.5 * z * z + d - d * v + d * math.log(v):
            return d * v * scale * boost


@jit
def sample(
    kind: int, p0: float, p1: float, p2: float, emp: np.ndarray, rng: np.ndarray, i: int
) -> float:
    """One time [s] from distribution ``kind`` with parameters (p0, p1, p2), stream ``i``.

    Parameters by kind: fixed (value), exponential (mean), normal (mean, sd; truncated at 0 by
    resampling), lognormal (mu, sigma of the log), gamma (shape, scale), weibull (shape,
    scale), uniform (low, high), triangular (low, mode, high), empirical (offset, count into
    ``emp``).
    """
    if kind == D_FIXED:
        return p0
    if kind == D_EXPONENTIAL:
        return p0 * std_exponential(rng, i)
    if kind == D_NORMAL:
        if p1 <= 0.0:
            return p0
        while True:
            x = p0 + p1 * std_normal(rng, i)
            if x > 0.0:
                return x
    if kind == D_LOGNORMAL:
        return math.exp(p0 + p1 * std_normal(rng, i))
    if kind == D_GAMMA:
        return _gamma(rng, i, p0, p1)
    if kind == D_WEIBULL:
        return float(p1 * (-math.log(1.0 - uniform(rng, i))) ** (1.0 / p0))
    if kind == D_UNIFORM:
        return p0 + (p1 - p0) * uniform(rng, i)
    if kind == D_TRIANGULAR:
        u = uniform(rng, i)
        low, mode, high = p0, p1, p2
        if high <= low:
            return low
        f = (mode - low) / (high - low)
        if u < f:
            return low + math.sqrt(u * (high - low) * (mode - low))
        return high - math.sqrt((1.0 - u) * (high - low) * (high - mode))
    if kind == D_EMPIRICAL:
        n = int(p1)
        j = int(uniform(rng, i) * n)
        if j >= n:
            j = n - 1
        return float(emp[int(p0) + j])
    return p0


@jit
def binomial(n: int, p: float, rng: np.ndarray, i: int) -> int:
    """Number of successes in ``n`` trials of probability ``p`` (scrapped cells in a job).

    Exact inversion (Kachitvichyanukul and Schmeiser, CACM 31(2), 1988, algorithm BINV) while
    n p < 30; above, the normal approximation, rounded and clipped to [0, n].
    """
    if p <= 0.0 or n <= 0:
        return 0
    if n == 1:
        return 1 if uniform(rng, i) < p else 0
    if p >= 1.0:
        return n
    q = 1.0 - p
    if n * p < 30.0:
        s = p / q
        a = (n + 1) * s
        r = q**n
        u = uniform(rng, i)
        x = 0
        while u > r:
            u -= r
            x += 1
            if x > n:
                return n
            r *= a / x - s
        return x
    x = math.floor(n * p + math.sqrt(n * p * q) * std_normal(rng, i) + 0.5)
    if x < 0:
        return 0
    if x > n:
        return n
    return x
