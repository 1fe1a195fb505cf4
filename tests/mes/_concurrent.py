"""Concurrent writers for the MES tests and benchmarks: ingest processes and hold placers.

Each writer is a process of its own (``multiprocessing`` with the spawn start method, as two
``gigaline ingest`` would be), started on a database URL; the test compares what is stored
with what one writer alone would have stored.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from sqlalchemy import select

from gigaline.errors import NotFoundError
from gigaline.mes.ingest import ingest
from gigaline.mes.services import place_hold
from gigaline.mes.sql import SqlStore, open_store
from gigaline.mes.sql import tables as t
from gigaline.mes.sql.db import make_engine

_SPAWN = mp.get_context("spawn")


def _ingest_file(url: str, path: str, batch: int, out: Any) -> None:
    with open_store(url) as store, Path(path).open("rb") as fh:
        result = ingest(store, fh, batch_size=batch)
    out.put(result.model_dump())


def start_ingest(url: str, path: Path, batch: int, out: Any) -> BaseProcess:
    """An ingest of ``path`` in a process of its own; its result dict goes to ``out``."""
    proc = _SPAWN.Process(target=_ingest_file, args=(url, str(path), batch, out))
    proc.start()
    return proc


def queue() -> Any:
    """A queue the writer processes can put their results on."""
    return _SPAWN.Queue()


def hold_at_random_moments(
    store: SqlStore,
    targets: Sequence[str],
    writers: Sequence[BaseProcess],
    seed: int,
    pause_s: float = 0.02,
    most: int = 200,
) -> list[int]:
    """Put holds on random ``targets`` (lots or units) at random moments while any of
    ``writers`` runs (a target not stored yet is skipped); the hold ids."""
    rng = random.Random(seed)
    ids: list[int] = []
    while any(w.is_alive() for w in writers) and len(ids) < most:
        time.sleep(rng.uniform(0.0, pause_s))
        try:
            ids.append(place_hold(store, rng.choice(targets), "concurrency test").id)
        except NotFoundError:
            continue
    return ids


def missed_units(url: str, hold_ids: Sequence[int]) -> tuple[int, int]:
    """(units that contain a hold's target but are not on that hold, units held), summed
    over ``hold_ids``; also units held that do not contain the target count as missed."""
    engine = make_engine(url)
    store = SqlStore(engine)
    missed = held_total = 0
    try:
        with engine.connect() as conn:
            for hold_id in hold_ids:
                target = conn.execute(
                    select(t.holds.c.target).where(t.holds.c.id == hold_id)
                ).scalar_one()
                held = set(
                    conn.execute(
                        select(t.held_units.c.unit).where(t.held_units.c.hold_id == hold_id)
                    ).scalars()
                )
                expected = {u for u, _ in store.descendants(target)}
                if store.kind_of(target) == "unit":
                    expected.add(target)
                missed += len(expected ^ held)
                held_total += len(held)
    finally:
        store.close()
    return missed, held_total


def stored_contents(url: str) -> dict[str, Any]:
    """What a store holds, independent of the order rows were written in (surrogate ids
    and receive times left out): to compare writers' end states."""
    engine = make_engine(url)
    out: dict[str, Any] = {}
    try:
        with engine.connect() as conn:
            for table, columns in (
                ("events", ("id", "site", "type")),
                ("lots", ("id", "material", "qty", "event_id")),
                # a unit's row is its earliest event (ts, then event id), whoever wrote it
                ("units", ("id", "unit_type", "ts", "event_id")),
                ("process_records", ("event_id", "unit", "result", "params")),
                ("genealogy", ("parent", "child", "qty", "event_id")),
                ("machine_states", ("event_id", "state")),
                ("curves", ("event_id", "unit", "kind")),
                ("dead_letters", ("event_id", "reason", "raw")),
                ("pending_events", ("id", "site", "waits_for")),
            ):
                tab = t.metadata.tables[table]
                rows = conn.execute(select(*(tab.c[c] for c in columns))).all()
                out[table] = sorted(map(tuple, rows), key=repr)
    finally:
        engine.dispose()
    return out
