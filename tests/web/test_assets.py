"""The dashboard loads nothing from another server: its scripts are vendored in the package,
at the versions and with the checksums static/vendor/VENDORED.md names."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from plotly.offline import get_plotlyjs_version

from gigaline.web import STATIC

VENDOR = Path(str(STATIC)) / "vendor"
TEMPLATES = Path(str(STATIC)).parent / "templates"


def _table() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in (VENDOR / "VENDORED.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0].endswith(".js"):
            rows[cells[0]] = (cells[2], cells[4])
    return rows


def test_vendored_scripts_are_the_versions_and_bytes_named() -> None:
    rows = _table()
    assert set(rows) == {"htmx.min.js", "plotly.min.js", "plotly-cartesian.min.js"}
    for name, (_, sha) in rows.items():
        data = (VENDOR / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha, name
        assert (VENDOR / name.replace(".min.js", ".LICENSE")).is_file()
    for name, kind in (
        ("plotly.min.js", ""),
        ("plotly-cartesian.min.js", "(cartesian - minified) "),
    ):
        version = rows[name][0]
        assert f"plotly.js {kind}v{version}" in (VENDOR / name).read_bytes()[:200].decode()
        # the figures the server makes (plotly.py) are for this plotly.js
        assert version == get_plotlyjs_version()
    assert 'version:"2.0.11"' in (VENDOR / "htmx.min.js").read_text()


def test_a_page_loads_the_bundle_that_draws_its_charts() -> None:
    """The cartesian bundle registers every trace type the pages take it for; a chart of
    another type (the SPC chart's WebGL scatter) makes the page load the full bundle."""
    from gigaline.web.pages import CARTESIAN_TRACES, plotly_bundle

    text = (VENDOR / "plotly-cartesian.min.js").read_text(encoding="utf-8")
    for kind in CARTESIAN_TRACES:
        assert f'name:"{kind}"' in text, kind
    assert 'name:"scattergl"' not in text
    assert plotly_bundle(None) == "plotly-cartesian.min.js"
    timeline = {"data": [{"type": "heatmap"}, {"type": "bar"}], "layout": {}}
    assert plotly_bundle({"timeline": timeline, "pareto": None}) == "plotly-cartesian.min.js"
    spc = {"data": [{"type": "scattergl"}], "layout": {}}
    assert plotly_bundle({"spc": spc}) == "plotly.min.js"


def test_no_page_loads_anything_from_another_server() -> None:
    for path in [*TEMPLATES.glob("*.html"), *Path(str(STATIC)).glob("*.*")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path
        assert "cdn" not in text.lower(), path
