"""Which names hold secrets: their values never leave the process in clear."""

from __future__ import annotations

SECRET_MARKERS = ("password", "token", "secret", "key")


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_MARKERS) and lowered not in ("unique_key",)
