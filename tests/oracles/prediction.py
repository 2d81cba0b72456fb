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
# the regression metrics of the metrics table
REGRESSION_METRICS = ("mae", "mse", "rmse", "r2", "mape", "mape_zero_actual_pairs", "prediction_coverage")


def sklearn_regression(y: np.ndarray, prediction: np.ndarray, n_labels: int) -> dict[str, float]:
    """mae, mse, rmse, r2 by scikit-learn; mape by the documented rule (docs/evaluation.md):
    sklearn's mean_absolute_percentage_error over the pairs with a non-zero rating only (nan
    when every rating is 0; sklearn alone would floor |rating| at machine epsilon and give
    ~1e15), mape_zero_actual_pairs the pairs it leaves out; and the share of the n_labels
    predicted."""
    y, prediction = np.asarray(y, dtype=float), np.asarray(prediction, dtype=float)
    nonzero = y != 0
    mape = sk.mean_absolute_percentage_error(y[nonzero], prediction[nonzero]) if nonzero.any() else math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # r2 of one pair: sklearn warns and returns nan
        return {
            "mae": sk.mean_absolute_error(y, prediction),
            "mse": sk.mean_squared_error(y, prediction),
            "rmse": sk.root_mean_squared_error(y, prediction),
            "r2": sk.r2_score(y, prediction) if len(y) > 1 else math.nan,
            "mape": mape,
            "mape_zero_actual_pairs": float((~nonzero).sum()),
            "prediction_coverage": len(y) / n_labels,
        }


def regression_users(y: np.ndarray, users: np.ndarray) -> dict[str, int]:
    """The users each regression metric runs over: those with a non-zero rating for mape,
    every user with a pair for the others."""
    y, users = np.asarray(y, dtype=float), np.asarray(users, dtype=object)
    everyone, nonzero = len(set(users)), len(set(users[y != 0]))
    return {name: nonzero if name == "mape" else everyone for name in REGRESSION_METRICS}
