"""Published data sets and helpers for the validation tests.

Sources (each test names the exact output it reproduces):

* R package qcc 3.0 (L. Scrucca, https://github.com/luca-scr/qcc): data files
  ``data/pistonrings.txt``, ``orangejuice.txt``, ``circuit.txt``, ``pcmanufact.txt``,
  ``viscosity.txt``; the vignette "A quick tour of qcc" (``docs/articles/qcc.html``, qcc 3.0,
  28 Apr 2020) prints the results; the unit tests ``tests/testthat/test-*.R``.
  The data come from D. C. Montgomery, *Introduction to Statistical Quality Control*
  (pistonrings: Table 6.3 inside-diameter of forged piston rings, mm; orangejuice: Table 7.1
  frozen orange juice cans; circuit: Table 7.7 printed circuit boards; pcmanufact: Table 7.9).
* NIST/SEMATECH e-Handbook of Statistical Methods, sec. 6.3.2.4 "EWMA Control Charts",
  https://www.itl.nist.gov/div898/handbook/pmc/section3/pmc324.htm (doi:10.18434/M32189).
"""

from __future__ import annotations

import math

import numpy as np

# qcc data/pistonrings.txt: 40 samples of 5 diameters [mm]; samples 1-25 are phase I (trial).
PISTONRINGS = np.array(
    [
        [74.030, 74.002, 74.019, 73.992, 74.008],
        [73.995, 73.992, 74.001, 74.011, 74.004],
        [73.988, 74.024, 74.021, 74.005, 74.002],
        [74.002, 73.996, 73.993, 74.015, 74.009],
        [73.992, 74.007, 74.015, 73.989, 74.014],
        [74.009, 73.994, 73.997, 73.985, 73.993],
        [73.995, 74.006, 73.994, 74.000, 74.005],
        [73.985, 74.003, 73.993, 74.015, 73.988],
        [74.008, 73.995, 74.009, 74.005, 74.004],
        [73.998, 74.000, 73.990, 74.007, 73.995],
        [73.994, 73.998, 73.994, 73.995, 73.990],
        [74.004, 74.000, 74.007, 74.000, 73.996],
        [73.983, 74.002, 73.998, 73.997, 74.012],
        [74.006, 73.967, 73.994, 74.000, 73.984],
        [74.012, 74.014, 73.998, 73.999, 74.007],
        [74.000, 73.984, 74.005, 73.998, 73.996],
        [73.994, 74.012, 73.986, 74.005, 74.007],
        [74.006, 74.010, 74.018, 74.003, 74.000],
        [73.984, 74.002, 74.003, 74.005, 73.997],
        [74.000, 74.010, 74.013, 74.020, 74.003],
        [73.988, 74.001, 74.009, 74.005, 73.996],
        [74.004, 73.999, 73.990, 74.006, 74.009],
        [74.010, 73.989, 73.990, 74.009, 74.014],
        [74.015, 74.008, 73.993, 74.000, 74.010],
        [73.982, 73.984, 73.995, 74.017, 74.013],
        [74.012, 74.015, 74.030, 73.986, 74.000],
        [73.995, 74.010, 73.990, 74.015, 74.001],
        [73.987, 73.999, 73.985, 74.000, 73.990],
        [74.008, 74.010, 74.003, 73.991, 74.006],
        [74.003, 74.000, 74.001, 73.986, 73.997],
        [73.994, 74.003, 74.015, 74.020, 74.004],
        [74.008, 74.002, 74.018, 73.995, 74.005],
        [74.001, 74.004, 73.990, 73.996, 73.998],
        [74.015, 74.000, 74.016, 74.025, 74.000],
        [74.030, 74.005, 74.000, 74.016, 74.012],
        [74.001, 73.990, 73.995, 74.010, 74.024],
        [74.015, 74.020, 74.024, 74.005, 74.019],
        [74.035, 74.010, 74.012, 74.015, 74.026],
        [74.017, 74.013, 74.036, 74.025, 74.026],
        [74.010, 74.005, 74.029, 74.000, 74.020],
    ]
)
PISTON_TRIAL = PISTONRINGS[:25]
PISTON_NEW = PISTONRINGS[25:]

# qcc data/orangejuice.txt: nonconforming cans D in samples of 50; 1-30 trial, 31-54 new.
ORANGEJUICE_D = np.array(
    [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11,
     20, 18, 24, 15, 9, 12, 7, 13, 9, 6,
     9, 6, 12, 5, 6, 4, 6, 3, 7, 6, 2, 4, 3, 6, 5, 4, 8, 5, 6, 7, 5, 6, 3, 5]
)  # fmt: skip
ORANGEJUICE_SIZE = 50
ORANGEJUICE_TRIAL = 30

# qcc data/circuit.txt: nonconformities x in samples of 100 boards; 1-26 trial, 27-46 new.
CIRCUIT_X = np.array(
    [21, 24, 16, 12, 15, 5, 28, 20, 31, 25, 20, 24, 16, 19, 10, 17, 13, 22, 18, 39,
     30, 24, 16, 19, 17, 15,
     16, 18, 12, 15, 24, 21, 28, 20, 25, 19, 18, 21, 16, 22, 19, 12, 14, 9, 16, 21]
)  # fmt: skip
CIRCUIT_SIZE = 100
CIRCUIT_TRIAL = 26

# qcc data/pcmanufact.txt: nonconformities x in 20 samples of 5 computers.
PCMANUFACT_X = np.array([10, 12, 8, 14, 10, 16, 11, 7, 10, 15, 9, 5, 7, 11, 12, 6, 8, 10, 7, 5])
PCMANUFACT_SIZE = 5

# qcc data/viscosity.txt: 35 batches; 1-20 trial, 21-35 new.
VISCOSITY = np.array(
    [34.05, 34.40, 33.59, 35.96, 34.70, 33.51, 33.79, 34.04, 34.52, 33.75,
     33.27, 33.71, 34.03, 34.58, 34.02, 33.97, 34.05, 34.04, 33.73, 34.05,
     34.39, 33.75, 33.40, 33.27, 34.65, 34.80, 34.55, 35.40, 34.75, 34.50,
     34.70, 34.29, 34.61, 34.49, 35.03]
)  # fmt: skip
VISCOSITY_TRIAL = 20

# NIST/SEMATECH e-Handbook 6.3.2.4: 20 observations, lambda 0.3, target 50, s = 2.0539.
NIST_EWMA_DATA = np.array(
    [52.0, 47.0, 53.0, 49.3, 50.1, 47.0, 51.0, 50.1, 51.2, 50.5,
     49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]
)  # fmt: skip
# The EWMA column of the handbook's table, EWMA_0 = 50.00 first, to 2 decimals.
NIST_EWMA_Z = [
    "50.00", "50.60", "49.52", "50.56", "50.18", "50.16", "49.21", "49.75", "49.85", "50.26",
    "50.33", "50.11", "49.36", "49.52", "50.05", "49.38", "49.92", "50.73", "51.23", "51.94",
    "51.99",
]  # fmt: skip

# qcc 3.0's tabulated d2 for n = 2..5 (qcc.options("exp.R.unscaled")), which the vignette's
# printed σ were computed with; gigaline computes d2 to 1e-12 instead (see test_constants).
QCC_TABLE_D2 = {2: 1.128, 3: 1.693, 4: 2.059, 5: 2.326}


def agrees(value: float, published: str) -> bool:
    """``value`` rounds to ``published`` at the last digit printed (the digits published)."""
    text = published.strip()
    decimals = len(text.split(".")[1]) if "." in text else 0
    half_ulp = 0.5 * 10.0**-decimals
    return abs(value - float(text)) <= half_ulp * (1 + 1e-9)


def agrees_sig(value: float, published: str, digits: int) -> bool:
    """``value`` and ``published`` agree when both are rounded to ``digits`` significant."""
    ref = float(published)
    scale = 10.0 ** (math.floor(math.log10(abs(ref))) - digits + 1)
    return round(value / scale) == round(ref / scale)
