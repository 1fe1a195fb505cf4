"""The station tiles made in Python (``gigaline.web.pages._tiles``, the filter ``tiles``) are
the characters the template macro wrote (kept here as the oracle): names and reasons that
need escaping or quoting, no reason, no state received, no records (quality n/a)."""

from __future__ import annotations

import math

from gigaline.mes.services.models import StationFloor
from gigaline.web import pages

#: The macro of 5 December (templates/_macros.html), as it was.
OLD = """{% macro station_tile(s) -%}
<a class="tile state-{{ s.state }}" href="/stations/{{ s.station|q }}" data-station="{{ s.station }}" data-state="{{ s.state }}"><b>{{ s.station }}
{{ s.state }}{{ ": " ~ s.reason if s.reason }}</b>
{{ "since " ~ s.since[11:19] if s.since else "no state received" }}
{{ s.records|num }} records, {{ s.ng|num }} NG
quality rate {{ s.quality_rate|pct }}</a>
{%- endmacro %}
{% for s in stations %}{{ station_tile(s) }}{% endfor %}"""  # noqa: E501


def _station(name: str, **kw: object) -> StationFloor:
    base: dict[str, object] = {
        "station": name, "step": "coat", "line": "L1", "position": 3, "state": "running",
        "reason": None, "since": "2026-03-02T09:15:00.250000Z", "state_s": {"running": 7200.0},
        "records": 12345, "ok": 12000, "ng": 345, "quality_rate": 12000 / 12345,
        "last_record": "2026-03-02T09:59:00Z",
    }  # fmt: skip
    base.update(kw)
    return StationFloor(**base)  # type: ignore[arg-type]


def test_tiles_are_the_macros_characters() -> None:
    stations = [
        _station("c_coat-1"),
        _station("c_coat-2", state="down", reason="web break (test) <&> \"quoted\" 'too'"),
        _station("odd/name?&x=1 <b>", state="blocked", reason=""),
        _station("c_mix-1", state="unknown", since=None, records=0, ok=0, ng=0, quality_rate=None),
        _station("c_mix-2", quality_rate=math.nan, records=1_234_567, ng=7),
        _station("é-station ✓", reason="température", since="2026-03-02T09:15:00Z"),
    ]
    want = pages._env.from_string(OLD).render(stations=stations)
    got = pages._env.from_string("{{ stations|tiles }}").render(stations=stations)
    assert got == want
    assert "&lt;&amp;&gt; &#34;quoted&#34; &#39;too&#39;" in got  # escaped, as Jinja escapes
    # the macro kept for one tile (the station page) is the same too
    one = pages._env.from_string(
        '{% from "_macros.html" import station_tile %}{{ station_tile(s) }}'
    ).render(s=stations[1])
    assert one == pages._env.from_string(OLD).render(stations=stations[1:2])
