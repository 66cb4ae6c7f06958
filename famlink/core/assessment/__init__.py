"""Independent model assessment: accuracy, calibration, utility and fairness, honestly.

Figures come from scikit-learn and fairlearn; intervals resample families
(households), not rows, because children in one family share their records
and their outcomes, so row resampling would give intervals that are too narrow.
"""

from famlink.core.assessment.run import AssessmentInput, assess, check_criteria

__all__ = ["AssessmentInput", "assess", "check_criteria"]
