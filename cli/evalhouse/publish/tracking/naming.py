"""MLflow names and values: flattened params, masked secrets, metric keys.

MLflow keys may hold letters, digits, `_ - . / ` and spaces; anything else becomes `_`.
Params are strings of at most 6000 characters.
"""

from __future__ import annotations

import json
import re
from typing import Any

from evalhouse.project.secrets import MASK, is_secret, mask, mask_text, mask_uri

__all__ = ["MASK", "flatten", "mask_text", "mask_uri", "metric_key", "param_value", "safe_key"]
MAX_PARAM_LENGTH = 6000
_INVALID_KEY_CHARS = re.compile(r"[^\w.\- /]")


def safe_key(key: str) -> str:
    """A key MLflow accepts: invalid characters become `_`, no empty or `..` segments."""
    key = _INVALID_KEY_CHARS.sub("_", key)
    key = re.sub(r"/{2,}", "/", key).strip("/")
    key = re.sub(r"\.{2,}", ".", key)
    return key or "_"


def metric_key(metric: str, k: Any) -> str:
    """`ndcg_at_10` for a metric at a cut-off, plain `roc_auc` when k is null."""
    if k is None:
        return safe_key(str(metric))
    if isinstance(k, float) and k.is_integer():
        k = int(k)
    return safe_key(f"{metric}_at_{k}")


def param_value(value: Any) -> str:
    """Strings as they are, everything else as compact JSON (`[5, 10]`, `true`, `null`),
    with secrets masked (a list of mappings is one param: its secret keys too)."""
    value = mask(value)
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:MAX_PARAM_LENGTH]


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested mappings become dotted keys (`vars.k_values`); lists stay one value.

    A key that names a secret (evalhouse.project.secrets.is_secret) has its value
    masked, and so have URI passwords and secret query parameters in the values. dbt-style `+` prefixes of folder config are dropped.
    """
    out: dict[str, str] = {}
    if isinstance(value, dict) and value:
        for key, item in value.items():
            part = str(key).lstrip("+")
            name = f"{prefix}.{part}" if prefix else part
            if is_secret(part):
                out[safe_key(name)] = MASK
            else:
                out.update(flatten(item, name))
        return out
    out[safe_key(prefix or "value")] = param_value(value)
    return out
