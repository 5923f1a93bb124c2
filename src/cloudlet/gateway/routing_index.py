"""What the gateway needs from the models to find a request's service and operation.

Built from the botocore models of every routed service and cached on disk per botocore
version, so start-up does not parse every model.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

from cloudlet import __version__
from cloudlet.protocol.model import botocore_data_dir, load_model_json
from cloudlet.services.registry import SERVICES

_INDEX_FORMAT = 5


@dataclass
class RestRoute:
    """One rest operation: method, URI template and what else must be present."""

    service: str
    operation: str
    method: str
    regex: re.Pattern[str]
    labels: tuple[str, ...]
    literal_len: int
    query_required: dict[str, str | None]  # key -> required value (None: any value)
    query_optional: dict[str, str]  # discriminators clients may omit (x-id)
    headers_required: tuple[str, ...]
    deprecated: bool = False  # loses ties against a current operation with the same wire form

    @cached_property
    def required_keys(self) -> frozenset[str]:
        """The query keys the route requires, to test a request's query at once."""
        return frozenset(self.query_required)

    @property
    def rank(self) -> tuple[int, int, int, int, bool]:
        """Most specific first; of two identical templates the current one wins."""
        return (
            len(self.headers_required),
            len(self.query_required),
            self.literal_len,
            -len(self.labels),
            not self.deprecated,
        )


def _template_regex(path: str) -> tuple[str, list[str], int]:
    parts: list[str] = []
    labels: list[str] = []
    literal = 0
    pos = 0
    for m in re.finditer(r"\{([^}]+)\}", path):
        text = path[pos : m.start()]
        parts.append(re.escape(text))
        literal += len(text)
        name = m.group(1)
        if name.endswith("+"):
            name = name[:-1]
            parts.append(f"(?P<{_group(name)}>.+)")
        else:
            parts.append(f"(?P<{_group(name)}>[^/]+)")
        labels.append(name)
        pos = m.end()
    tail = path[pos:]
    literal += len(tail)
    parts.append(
        re.escape(tail.rstrip("/")) + "/?" if tail.endswith("/") and len(path) > 1 else re.escape(tail)
    )
    return "^" + "".join(parts) + "$", labels, literal


def _group(name: str) -> str:
    return "L_" + re.sub(r"\W", "_", name)


def label_group(name: str) -> str:
    return _group(name)


def _service_entry(name: str) -> dict[str, Any]:
    raw = load_model_json(name)
    meta = raw["metadata"]
    entry: dict[str, Any] = {
        "protocol": meta["protocol"],
        "protocols": meta.get("protocols") or [meta["protocol"]],
        "signing_name": meta.get("signingName") or meta["endpointPrefix"],
        "endpoint_prefix": meta["endpointPrefix"],
        "target_prefix": meta.get("targetPrefix"),
        "api_version": meta["apiVersion"],
        "query_compatible": "awsQueryCompatible" in meta,
        "operations": list(raw["operations"]),
        "routes": [],
    }
    if meta["protocol"].startswith("rest"):
        for op_name, op in raw["operations"].items():
            http = op.get("http", {})
            uri = http.get("requestUri", "/")
            path, _, query = uri.partition("?")
            query_required: dict[str, str | None] = {}
            query_optional: dict[str, str] = {}
            for item in filter(None, query.split("&")):
                k, eq, v = item.partition("=")
                if k == "x-id":
                    query_optional[k] = v
                else:
                    query_required[k] = v if eq else None
            headers: list[str] = []
            input_ref = op.get("input")
            if input_ref:
                shape = raw["shapes"][input_ref["shape"]]
                for mname in shape.get("required", ()):
                    mref = shape["members"][mname]
                    if mref.get("location") == "header":
                        headers.append(mref.get("locationName", mname).lower())
                    elif mref.get("location") == "querystring":
                        query_required.setdefault(mref.get("locationName", mname), None)
            entry["routes"].append(
                [
                    op_name,
                    http.get("method", "POST"),
                    path,
                    query_required,
                    query_optional,
                    headers,
                    bool(op.get("deprecated")),
                ]
            )
    return entry


def _build() -> dict[str, Any]:
    return {"format": _INDEX_FORMAT, "services": {name: _service_entry(name) for name in SERVICES}}


def _cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    stamp = botocore_data_dir().parent.name + "-" + str(int(botocore_data_dir().stat().st_mtime))
    return Path(base) / "cloudlet" / f"routing-{__version__}-{stamp}-{len(SERVICES)}.json"


def load_index() -> dict[str, Any]:
    """The routing index, from the cache file when it matches these models."""
    path = _cache_path()
    try:
        data = orjson.loads(path.read_bytes())
        if data.get("format") == _INDEX_FORMAT and set(data["services"]) == set(SERVICES):
            return data
    except (OSError, ValueError, KeyError):
        pass
    data = _build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps(data))
        tmp.replace(path)
    except OSError:
        pass
    return data


def compile_routes(service: str, entry: dict[str, Any]) -> list[RestRoute]:
    routes = []
    for op_name, method, path, query_required, query_optional, headers, deprecated in entry["routes"]:
        regex, labels, literal = _template_regex(path)
        routes.append(
            RestRoute(
                service,
                op_name,
                method,
                re.compile(regex, re.DOTALL),
                tuple(labels),
                literal,
                query_required,
                query_optional,
                tuple(headers),
                deprecated,
            )
        )
    routes.sort(key=lambda r: r.rank, reverse=True)
    return routes
