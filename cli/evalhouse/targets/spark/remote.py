"""`targets.spark.remote`: the Spark Connect URL of a server that runs a Spark build.

The URL is checked when project.yml loads, by the rules pyspark's Connect client applies
(`sc://host[:port][/;name=value;...]`), so a typo is a ConfigError that names the key and
its line instead of a gRPC error after the build started. No pyspark is needed for that.

A parameter such as `token` is a credential: its value is remembered by
`secrets.remember`, so it is masked wherever it would be printed or written, even apart
from the URL. The messages here name parameters, never their values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_PORT = 15002  # Spark Connect's
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_HOST = re.compile(r"^[A-Za-z0-9_.\-]+$")
_EXAMPLE = "such as sc://spark-head:15002 or sc://spark-head:443/;use_ssl=true;token=..."


@dataclass(frozen=True)
class ConnectUrl:
    host: str
    port: int
    params: tuple[tuple[str, str], ...]  # the ;name=value parameters, in their order

    def param(self, name: str) -> str | None:
        return next((value for key, value in self.params if key == name), None)


def parse_connect_url(url: str) -> ConnectUrl:
    """The parts of a Spark Connect URL; ValueError saying what is wrong (never a value)."""
    if not url.startswith("sc://"):
        raise ValueError(f"must be a Spark Connect URL starting with sc://, {_EXAMPLE}")
    address, slash, rest = url[len("sc://"):].partition("/")
    if ";" in address:
        raise ValueError("has parameters without the slash before them: write sc://host:port/;name=value")
    host, port = _host_and_port(address)
    if slash and rest and not rest.startswith(";"):
        raise ValueError(f"may have only ;name=value parameters after host:port/, {_EXAMPLE}")
    params = []
    for part in rest.split(";")[1:] if rest else []:
        name, equals, value = part.partition("=")
        if not equals or "=" in value or not _NAME.match(name):
            shown = f"the parameter '{name}'" if _NAME.match(name) else "a parameter"
            raise ValueError(f"has {shown} that is not one name=value pair (write an '=' inside a value as %3D)")
        params.append((name, value))
    use_ssl = dict(params).get("use_ssl")
    if use_ssl is not None and use_ssl.lower() not in ("true", "false"):
        raise ValueError("has use_ssl that is neither true nor false")
    return ConnectUrl(host, port, tuple(params))


def _host_and_port(address: str) -> tuple[str, int]:
    if address.startswith("["):  # an IPv6 address: [::1]:15002
        host, bracket, after = address[1:].partition("]")
        if not bracket or not host or (after and not after.startswith(":")):
            raise ValueError("has an IPv6 host that is not [address] or [address]:port")
        colon, port_text = after[:1], after[1:]
    else:
        host, colon, port_text = address.partition(":")
        if not _HOST.match(host):
            raise ValueError(f"has no valid host name after sc://, {_EXAMPLE}")
    if not colon:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError("has a port that is not a number from 1 to 65535")
    return host, int(port_text)
