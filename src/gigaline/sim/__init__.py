"""The digital twin: a compiled discrete-event simulation of a line (layer 1).

Stages, each callable alone: :func:`compile_line` (Line -> arrays), :func:`run_replication`
(arrays -> raw totals of one run, kernel in :mod:`gigaline.sim.kernel`), :class:`SimResult`
(totals -> KPIs and tables), :func:`simulate` (replications on local processes or any
``concurrent.futures.Executor``, e.g. a Dask cluster), :func:`run_experiment` (the scenarios of
a scenario file with common random numbers, :func:`load_scenarios`) and :func:`write_report`
(a self-contained HTML report).

>>> import gigaline
>>> result = gigaline.simulate(gigaline.load_line("examples/two-machine.yaml"), days=1)
"""

from gigaline.sim._jit import KernelCache, KernelCacheWarning, kernel_cache
from gigaline.sim.checks import SimulationWarning
from gigaline.sim.compare import ExperimentResult
from gigaline.sim.compile import CompiledLine, SimulationError, compile_line
from gigaline.sim.executors import warm_kernel
from gigaline.sim.experiments import run_experiment, run_lines, simulate
from gigaline.sim.results import STATE_NAMES, SimResult
from gigaline.sim.runner import RunRecord, run_replication
from gigaline.sim.scenario import Scenario, ScenarioFileError, ScenarioSet, load_scenarios

__all__ = [
    "STATE_NAMES",
    "CompiledLine",
    "ExperimentResult",
    "KernelCache",
    "KernelCacheWarning",
    "RunRecord",
    "Scenario",
    "ScenarioFileError",
    "ScenarioSet",
    "SimResult",
    "SimulationError",
    "SimulationWarning",
    "compile_line",
    "kernel_cache",
    "load_scenarios",
    "run_experiment",
    "run_lines",
    "run_replication",
    "simulate",
    "warm_kernel",
]
