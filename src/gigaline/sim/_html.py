"""One self-contained HTML page of Plotly figures (plotly.js inline: it opens without a
network), shared by the experiment report and the studies' charts."""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

__all__ = ["page"]


def page(title: str, intro: str, figures: Sequence[go.Figure], table_html: str = "") -> str:
    """One HTML document with plotly.js inline."""
    parts = "".join(
        f"<div>{f.to_html(full_html=False, include_plotlyjs=False)}</div>" for f in figures
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}"
        "table{border-collapse:collapse;font-size:small}td,th{padding:2px 8px;text-align:right}"
        "</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p>{parts}{table_html}"
        "</body></html>"
    )
