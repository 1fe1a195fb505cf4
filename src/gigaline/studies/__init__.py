"""Studies that judge designs by the twin and the planner together (layer 2): optimisation of
machine counts and buffers against cost (:func:`optimize`), sensitivity of throughput and cost
per kWh to each input, one at a time and by Sobol indices (:func:`sensitivity`).

Each candidate is a scenario of a scenario file (:mod:`gigaline.sim.scenario`), simulated with
common random numbers and priced by :func:`gigaline.plan.plan_line` at its simulated output.
"""

from gigaline.studies.evaluate import (
    ALL_FIGURES,
    Candidate,
    Constraint,
    StudyError,
    evaluate,
    parse_constraint,
)
from gigaline.studies.optimize import OptimizationResult, optimize, pareto_front
from gigaline.studies.sensitivity import OneAtATime, SensitivityResult, sensitivity

__all__ = [
    "ALL_FIGURES",
    "Candidate",
    "Constraint",
    "OneAtATime",
    "OptimizationResult",
    "SensitivityResult",
    "StudyError",
    "evaluate",
    "optimize",
    "pareto_front",
    "parse_constraint",
    "sensitivity",
]
