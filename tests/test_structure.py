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


def _modules_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has loaded after running ``code``."""
    listing = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    probe = f"{code}\nimport json, sys\n{listing}"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


_HELP = (
    "import contextlib, io\n"
    "from gigaline.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()) as buf:\n"
    "    status = main({argv!r})\n"
    "assert status == 0 and 'Usage' in buf.getvalue(), (status, buf.getvalue())"
)


def test_help_loads_no_numerics_charts_or_database() -> None:
    """``gigaline --help`` (and a command's ``--help``) registers every command but loads
    neither numba, numpy, pandas, scipy, plotly, SQLAlchemy nor the line model (pydantic,
    PyYAML): start-up is measured by benchmarks/bench_startup.py. (Typer itself loads pydantic
    to convert a command's parameters, so a command's help may.)"""
    heavy = {"numba", "numpy", "pandas", "scipy", "plotly", "sqlalchemy", "yaml"}
    for argv, more in ((["--help"], {"pydantic"}), (["simulate", "--help"], set())):
        loaded = _modules_after(_HELP.format(argv=argv))
        assert "typer" in loaded and "gigaline" in loaded
        assert loaded.isdisjoint(heavy | more), (argv, sorted(loaded & (heavy | more)))


def test_plan_loads_no_numerics_charts_or_database() -> None:
    """``gigaline plan`` needs the model and the planner, not the twin's numerics or the MES."""
    code = _HELP.replace("'Usage' in", "'Plan for' in").format(
        argv=["plan", str(ROOT / "examples" / "abf-lfp-20gwh.yaml")]
    )
    loaded = _modules_after(code)
    assert "pydantic" in loaded
    assert loaded.isdisjoint({"numba", "pandas", "scipy", "plotly", "sqlalchemy"}), sorted(
        loaded & {"numba", "pandas", "scipy", "plotly", "sqlalchemy"}
    )
