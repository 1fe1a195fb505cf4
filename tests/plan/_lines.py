"""The example lines and reference data the planner tests share (loaded once)."""

from __future__ import annotations

from pathlib import Path

from gigaline.model import load_line
from gigaline.model.reference import load_reference

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
REFERENCE_LINE = load_line(EXAMPLES / "abf-lfp-20gwh.yaml")
FIVE_STEP = load_line(EXAMPLES / "five-step.yaml")
REF = load_reference()
