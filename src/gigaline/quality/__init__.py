"""Quality maths (layer 0, pure functions over arrays, no I/O): control charts with run
rules, process capability, and cell grading and matching.

```python
from gigaline.quality import control_chart, capability
ch = control_chart(data, chart="xbar_r")   # data: 2-D array, one row per subgroup
ch.center, ch.lcl, ch.ucl, ch.sigma
ch.violations(rules="nelson")              # {rule_number: [point indices]}
ch2 = ch.monitor(new_data)                 # phase II against frozen limits
cap = capability(data, lsl=..., usl=..., target=None)
graded = grade_cells(cells, line.quality.grades)
modules = match_cells(cells, line.quality.matching, graded)
```

scipy (integration, chi-square quantiles) is imported on first use only, so importing this
package stays cheap for the command line.
"""

from gigaline.quality.capability import Capability, capability
from gigaline.quality.constants import A2, A3, B3, B4, D3, D4, c4, d2, d3
from gigaline.quality.errors import QualityInputError
from gigaline.quality.grading import (
    GradingResult,
    MatchResult,
    grade_cells,
    k_value_mv_per_day,
    match_cells,
)
from gigaline.quality.rules import NELSON, WESTERN_ELECTRIC
from gigaline.quality.spc import CHARTS, ControlChart, control_chart

__all__ = [
    "A2",
    "A3",
    "B3",
    "B4",
    "CHARTS",
    "D3",
    "D4",
    "NELSON",
    "WESTERN_ELECTRIC",
    "Capability",
    "ControlChart",
    "GradingResult",
    "MatchResult",
    "QualityInputError",
    "c4",
    "capability",
    "control_chart",
    "d2",
    "d3",
    "grade_cells",
    "k_value_mv_per_day",
    "match_cells",
]
