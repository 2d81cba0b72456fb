"""References for the classification and regression metrics, through scikit-learn."""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn import metrics as sk

# the classification metrics of the metrics table, in the order the tests list them
CLASSIFICATION_METRICS = (
    "roc_auc",
    "gauc",
    "average_precision",
    "pr_auc",
    "log_loss",
    "accuracy_at_threshold",
    "precision_at_threshold",
    "recall_at_threshold",
    "f1_at_threshold",
)


def sklearn_regression(y: np.ndarray, prediction: np.ndarray, n_labels: int) -> dict[str, float]:
    """mae, mse, rmse, r2, mape by scikit-learn, and the share of the n_labels predicted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # r2 of one pair: sklearn warns and returns nan
        return {
            "mae": sk.mean_absolute_error(y, prediction),
            "mse": sk.mean_squared_error(y, prediction),
            "rmse": sk.root_mean_squared_error(y, prediction),
            "r2": sk.r2_score(y, prediction) if len(y) > 1 else math.nan,
            "mape": sk.mean_absolute_percentage_error(y, prediction),
            "prediction_coverage": len(y) / n_labels,
        }
