"""The structure the layers contract cannot see: no import cycles, a light event contract."""

from __future__ import annotations

import json
import subprocess
import sys

import grimp

from tests.conftest import ROOT


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected sets of more than one module (Tarjan's algorithm, iterative)."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & graph.modules) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = edges[node]
            if i < len(children):
                work.append((node, i + 1))
                child = children[i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                scc = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    scc.append(m)
                    if m == node:
                        break
                if len(scc) > 1:
                    out.append(sorted(scc))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out


def test_no_two_modules_import_each_other_in_a_circle() -> None:
    graph = grimp.build_graph("gigaline", exclude_type_checking_imports=True)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for a, b in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")):
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_the_event_contract_loads_without_heavy_packages() -> None:
    """``import gigaline.events`` in a fresh interpreter loads no numpy, pandas, pydantic,
    SQLAlchemy or PyYAML (the time it takes is measured by benchmarks/bench_import.py)."""
    code = (
        "import json, sys; import gigaline.events as e; "
        "e.check_event({'id': 'x', 'type': 'state', 'ts': '2026-01-05T08:00:00Z', "
        "'station': 's-1', 'state': 'down'}); "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    loaded = set(json.loads(out))
    assert "gigaline" in loaded and "msgspec" in loaded
    assert loaded.isdisjoint({"numpy", "pandas", "pydantic", "sqlalchemy", "yaml", "numba"})
