"""How the steps of a line feed each other: computed once per line, in one pass over the steps.

Finding a step's predecessors used to search the step list (``list.index`` compares pydantic
models field by field) and rebuild the branches on every call: quadratic in the steps, over
300 s for a 10,000-step line. :func:`flow_of` builds every relation by position in O(steps);
:class:`~gigaline.model.schema.Line` keeps the result (``Line.flow``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gigaline.model.schema import Step

__all__ = ["Flow", "flow_of"]


@dataclass(frozen=True)
class Flow:
    """The flow relations of a list of steps, by position in that list."""

    #: the step list this was computed from (a line whose steps are replaced recomputes it)
    steps: Sequence[Step]
    #: step id -> position of the first step with that id
    index: dict[str, int]
    #: branch name -> positions of its steps, in flow order
    branches: dict[str, list[int]]
    #: positions of the main-chain steps, in flow order
    main: list[int]
    #: per position: the positions of the steps that feed it directly (two or more at a merge)
    feeds: list[list[int]]
    #: per position: the position of the step it feeds, -1 for the last step
    consumer: list[int]


def flow_of(steps: Sequence[Step]) -> Flow:
    """The flow of ``steps`` (in flow order; branches merge into main-chain steps).

    Tolerates an inconsistent list (duplicate ids, a merge of an unknown branch): the line's
    cross-checks report those; here they are only skipped.
    """
    index: dict[str, int] = {}
    branches: dict[str, list[int]] = {}
    main: list[int] = []
    for i, s in enumerate(steps):
        index.setdefault(s.id, i)
        if s.branch is None:
            main.append(i)
        else:
            branches.setdefault(s.branch, []).append(i)
    feeds: list[list[int]] = [[] for _ in steps]
    for chain in (main, *branches.values()):
        for prev, cur in pairwise(chain):
            feeds[cur].append(prev)
    for i in main:
        for name in steps[i].merge or []:
            merged = branches.get(name)
            if merged:
                feeds[i].append(merged[-1])
    consumer = [-1] * len(steps)
    for i, inputs in enumerate(feeds):
        for p in inputs:
            consumer[p] = i
    return Flow(steps, index, branches, main, feeds, consumer)
