"""The outbox publisher's messages: consecutive rows of one topic as one NDJSON message, in
order, never more than GROUP_MAX rows, never two topics in one message."""

from __future__ import annotations

import orjson

from gigaline.virtual.outbox import GROUP_MAX, _grouped


def test_consecutive_rows_of_a_topic_go_as_one_message_in_order() -> None:
    topics = ["a", "a", "b", "a", *["c"] * (GROUP_MAX + 3)]
    rows = [(i + 1, t, orjson.dumps({"n": i, "t": t})) for i, t in enumerate(topics)]
    groups = _grouped(rows)
    assert [(g[1], len(g[0])) for g in groups] == [
        ("a", 2), ("b", 1), ("a", 1), ("c", GROUP_MAX), ("c", 3),
    ]  # fmt: skip
    # every row once, in the order put; each message's lines are its rows' payloads
    assert [s for g in groups for s in g[0]] == [r[0] for r in rows]
    lines = [orjson.loads(x) for g in groups for x in g[2].split(b"\n")]
    assert [x["n"] for x in lines] == list(range(len(rows)))
    assert all({x["t"] for x in map(orjson.loads, g[2].split(b"\n"))} == {g[1]} for g in groups)
    assert _grouped([]) == []
