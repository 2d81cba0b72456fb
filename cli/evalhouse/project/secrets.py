"""One masking rule for everything that leaves the process: manifest.json,
run_results.json, compiled SQL on disk, MLflow params and tags, warnings.

A value is replaced by `***` when
  - its key, at any depth of mappings and lists, names a secret (`is_secret`);
  - it is the password of a URI (`postgresql://me:***@host/db`);
  - it is a URI query parameter whose name is secret-like (`?token=***`, `&sig=***`), or
    a `;name=value` parameter so named (Spark Connect's `sc://host:443/;token=***`, JDBC's
    `;password=***`), inside a URI or not (a malformed URL is quoted in its error);
  - it was read from the environment by `env_var()` while rendering a model or macro, or
    project.yml's values (`remember`): paths included, since a variable's name cannot tell
    a path from a token (README "Choices").
Everything else stays readable. The SQL that runs keeps the real values: only what is
written, logged or printed goes through `mask`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

MASK = "***"

# words that make a key name a secret: `db_password`, `apiKey`, `x-auth-token`, `client.secret`
_SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "secrets", "token", "tokens", "key", "keys", "apikey",
    "credential", "credentials", "signature", "auth", "authorization", "cookie", "dsn",
})
# ...also glued to another word: `dbpassword`, `accesstoken`, `clientsecret`
_SECRET_SUFFIXES = ("password", "passwd", "secret", "token", "apikey", "credentials")
# `key` names a structure, not a secret, next to these words: unique_key, sort_key, key_columns
_STRUCTURAL_KEY_WORDS = frozenset({
    "unique", "primary", "foreign", "surrogate", "natural", "sort", "partition", "cluster", "join", "group",
    "dedup", "merge", "distribution", "dist", "column", "columns", "col", "cols", "field", "fields", "name",
    "names", "by",
})
_COUNTING_WORDS = frozenset({"max", "min", "num", "n", "count", "total"})
# query parameter names that carry a credential even though they are not secret words themselves
_SECRET_QUERY_PARAMS = frozenset({"sig", "code", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
                                  "x-goog-signature", "x-goog-credential"})
_SEMICOLON_PARAM = re.compile(r";([A-Za-z_][A-Za-z0-9_.\-]*)=([^;\s'\"<>`]*)")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# values too plain to be anyone's secret, which would garble the SQL if replaced
_MIN_ENV_LENGTH = 4
_PLAIN = re.compile(r"^(-?\d+(\.\d+)?|true|false|null|none|yes|no)$", re.IGNORECASE)

# for the life of the process: a value read once may be written by any later command
_from_env: set[str] = set()


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", _CAMEL.sub("_", name).lower()) if w]


def is_secret(name: str) -> bool:
    """Whether a key named `name` holds a secret: a secret word in it, except `key(s)`
    when it names a table's structure (unique_key, sort_key, key_columns)."""
    words = _words(str(name))
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        if word in ("key", "keys"):
            if {before, *words[i + 1:i + 2]} & _STRUCTURAL_KEY_WORDS:
                continue
            return True
        if word == "tokens" and before in _COUNTING_WORDS:  # max_tokens is a length, not a secret
            continue
        if word in _SECRET_WORDS or word.endswith(_SECRET_SUFFIXES):
            return True
    return False


def remember(value: Any) -> Any:
    """Note a value read from the environment while rendering, so `mask` hides it; returns it."""
    if isinstance(value, str) and len(value) >= _MIN_ENV_LENGTH and not _PLAIN.match(value.strip()):
        _from_env.add(value)
    return value


def mask_uri(value: str) -> str:
    """`scheme://user:***@host/path?token=***`: the password and secret query parameters hidden."""
    try:
        parts = urlsplit(value)
        password = parts.password
        port = parts.port
    except ValueError:
        return value
    if password is not None:
        netloc = f"{parts.username or ''}:{MASK}@{parts.hostname or ''}"
        if port:
            netloc += f":{port}"
        parts = parts._replace(netloc=netloc)
    if parts.query:
        # pair by pair, so the parameters left alone keep their spelling
        pairs = [pair.partition("=") for pair in parts.query.split("&")]
        masked = [f"{name}={MASK}" if sep and _secret_param(unquote_plus(name)) else name + sep + item
                  for name, sep, item in pairs]
        parts = parts._replace(query="&".join(masked))
    # rebuilt only when something was hidden: urlunsplit drops the empty host of sqlite:////x.db
    return value if password is None and parts.query == urlsplit(value).query else urlunsplit(parts)


def _secret_param(name: str) -> bool:
    return name.lower() in _SECRET_QUERY_PARAMS or is_secret(name)


def mask_text(text: str) -> str:
    """A string with every URI's secrets and every remembered environment value hidden."""
    # longest first, so a value that contains another is hidden whole
    for value in sorted(_from_env, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    if "://" in text:
        text = _URI.sub(lambda m: mask_uri(m.group(0)), text)
    if ";" in text:
        text = _SEMICOLON_PARAM.sub(_masked_semicolon_param, text)
    return text


def _masked_semicolon_param(match: re.Match[str]) -> str:
    name, value = match.group(1), match.group(2)
    return f";{name}={MASK}" if value and _secret_param(name) else match.group(0)


def mask(value: Any, key_path: tuple[str, ...] = (), *, keys: bool = True) -> Any:
    """`value` with its secrets replaced by `***`, walking mappings and lists.

    `key_path` is where `value` sits (its last part decides when `value` is not a
    mapping). With keys=False only strings are looked at: for documents whose keys are
    the project's own names (node ids), not settings.
    """
    if keys and key_path and is_secret(str(key_path[-1]).lstrip("+")):
        return MASK
    if isinstance(value, dict):
        return {k: mask(v, (*key_path, str(k)), keys=keys) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(item, (*key_path, "[]"), keys=keys) for item in value]
    if isinstance(value, str):
        return mask_text(value)
    return value
