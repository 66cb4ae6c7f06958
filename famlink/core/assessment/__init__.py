"""Independent model assessment: accuracy, calibration, utility and fairness, honestly.

Figures come from scikit-learn and fairlearn; intervals resample families
(households), not rows, because children in one family share their records
and their outcomes, so row resampling would give intervals that are too narrow.

The assessment itself (and pandas, scikit-learn and fairlearn with it) loads
only when asked for: the register pages show stored reports without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from famlink.core.assessment.run import AssessmentInput, assess, check_criteria


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module("famlink.core.assessment.run"), name)


__all__ = ["AssessmentInput", "assess", "check_criteria"]
