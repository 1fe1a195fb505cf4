"""The digital twin: a compiled discrete-event simulation of a line (layer 1).

Stages, each callable alone: :func:`compile_line` (Line -> arrays), :func:`run_replication`
(arrays -> raw totals of one run, kernel in :mod:`gigaline.sim.kernel`), :class:`SimResult`
(totals -> KPIs and tables), :func:`simulate` (replications in parallel processes) and
:func:`write_report` (a self-contained HTML report).

>>> import gigaline
>>> result = gigaline.simulate(gigaline.load_line("examples/two-machine.yaml"), days=1)
"""

from gigaline.sim.checks import SimulationWarning
from gigaline.sim.compile import CompiledLine, SimulationError, compile_line
from gigaline.sim.experiments import simulate
from gigaline.sim.results import STATE_NAMES, SimResult
from gigaline.sim.runner import RunRecord, run_replication

__all__ = [
    "STATE_NAMES",
    "CompiledLine",
    "RunRecord",
    "SimResult",
    "SimulationError",
    "SimulationWarning",
    "compile_line",
    "run_replication",
    "simulate",
]
