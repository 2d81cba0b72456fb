"""Trusted reference implementations ("oracles") the SQL metric models are tested against.

``ranking``: ranking metrics of docs/metrics.md plus ranx / pytrec_eval wrappers;
``adversarial``: seeded edge-case inputs; ``compare``: the tolerance rule (relative plus
absolute, 1e-9) and frame comparison for tests; ``prediction``: scikit-learn references;
``conventions``: what trec_eval and ranx give for raw inputs (the conventions profiles);
``side_data``: a case's train and items files, for the beyond-accuracy metrics; ``beyond``:
the beyond-accuracy metrics as their sources define them.
"""

from .adversarial import ADVERSARIAL_CASES, CaseSettings, case_settings, movielens_like
from .compare import assert_close, assert_frames_close, assert_rows_close, close_mask, is_close
from .ranking import (
    RANKING_METRICS,
    RANKING_METRICS_AT_K,
    RANKING_METRICS_WITHOUT_K,
    normalize_recs,
    pytrec_eval_user_metrics,
    ranx_user_metrics,
    reference_metrics,
    reference_user_metrics,
)

__all__ = [
    "ADVERSARIAL_CASES",
    "RANKING_METRICS",
    "RANKING_METRICS_AT_K",
    "RANKING_METRICS_WITHOUT_K",
    "CaseSettings",
    "assert_close",
    "assert_frames_close",
    "assert_rows_close",
    "case_settings",
    "close_mask",
    "is_close",
    "movielens_like",
    "normalize_recs",
    "pytrec_eval_user_metrics",
    "ranx_user_metrics",
    "reference_metrics",
    "reference_user_metrics",
]
