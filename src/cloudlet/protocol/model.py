"""Service models: the botocore JSON models, loaded lazily without importing botocore.

A :class:`Shape` is a view of one shape definition merged with the member reference
that points at it (location, locationName, xmlNamespace, ... live on either).
"""

from __future__ import annotations

import gzip
import importlib.util
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

_DATA_DIR: Path | None = None


def botocore_data_dir() -> Path:
    """Directory holding botocore's service models (found without importing botocore)."""
    global _DATA_DIR
    if _DATA_DIR is None:
        spec = importlib.util.find_spec("botocore")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("botocore is not installed")
        _DATA_DIR = Path(next(iter(spec.submodule_search_locations))) / "data"
    return _DATA_DIR


def load_model_json(service: str, kind: str = "service-2", data_dir: Path | None = None) -> dict[str, Any]:
    """Load the newest ``kind`` model file of a botocore service, as botocore's client sees it.

    Like botocore's loader, this merges the SDK's ``*.sdk-extras.json`` overrides (S3's
    ``Expires`` header is a timestamp to every SDK, a string in the bare model). ``data_dir``
    is another directory laid out as botocore's data (default: botocore's own).
    """
    versions = sorted(p for p in ((data_dir or botocore_data_dir()) / service).iterdir() if p.is_dir())
    base = versions[-1] / f"{kind}.json"
    gz = base.with_name(base.name + ".gz")
    raw = gzip.decompress(gz.read_bytes()) if gz.exists() else base.read_bytes()
    model = orjson.loads(raw)
    extras = versions[-1] / f"{kind}.sdk-extras.json"
    if extras.exists():
        _deep_merge(model, orjson.loads(extras.read_bytes()).get("merge", {}))
    return model


def _deep_merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


# Member-reference keys that override the target shape's own traits.
_EMPTY: dict[str, Any] = {}


@dataclass
class Bindings:
    """Where a structure's members go in a REST request or response (:attr:`Shape.bindings`):
    each entry is ``(member name, wire name, shape)``; headers are keyed by their lower-cased name."""

    uri: list[tuple[str, str, Shape]] = field(default_factory=list)
    query: list[tuple[str, str, Shape]] = field(default_factory=list)
    query_map: list[tuple[str, Shape]] = field(default_factory=list)
    headers: dict[str, list[tuple[str, str, Shape]]] = field(default_factory=dict)
    header_maps: list[tuple[str, str, Shape]] = field(default_factory=list)  # (name, prefix, shape)
    status: str | None = None
    in_body: bool = False


class Shape:
    """A shape as seen through one member reference."""

    __slots__ = ("__dict__", "defn", "is_document", "model", "name", "ref", "type")

    def __init__(self, model: ServiceModel, name: str, ref: dict[str, Any] | None = None) -> None:
        self.model = model
        self.name = name
        self.defn: dict[str, Any] = model.shapes[name]
        self.ref: dict[str, Any] = ref or _EMPTY
        self.type: str = self.defn["type"]
        self.is_document = bool(self.defn.get("document"))

    def trait(self, key: str, default: Any = None) -> Any:
        """A serialization trait, the member reference winning over the shape."""
        if key in self.ref:
            return self.ref[key]
        return self.defn.get(key, default)

    @cached_property
    def members(self) -> dict[str, Shape]:
        return {name: self.model.member_shape(ref) for name, ref in self.defn.get("members", {}).items()}

    @cached_property
    def wire_members(self) -> dict[str, tuple[str, Shape]]:
        """Body members by the name they carry on the wire (``locationName`` or own name)."""
        return {
            (m.trait("locationName") or name): (name, m)
            for name, m in self.members.items()
            if m.location is None
        }

    @cached_property
    def member(self) -> Shape:
        """Element shape of a list."""
        return self.model.member_shape(self.defn["member"])

    @cached_property
    def key(self) -> Shape:
        return self.model.member_shape(self.defn["key"])

    @cached_property
    def value(self) -> Shape:
        return self.model.member_shape(self.defn["value"])

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(self.defn.get("required", ()))

    @property
    def location(self) -> str | None:
        return self.ref.get("location")

    @cached_property
    def bindings(self) -> Bindings:
        """A structure's members grouped by where the REST protocols bind them, computed once."""
        found = Bindings()
        for name, m in self.members.items():
            loc = m.location
            wire = m.location_name or name
            if loc is None:
                found.in_body = True
            elif loc == "uri":
                found.uri.append((name, wire, m))
            elif loc == "querystring":
                if m.type == "map":
                    found.query_map.append((name, m))
                else:
                    found.query.append((name, wire, m))
            elif loc == "header":
                found.headers.setdefault(wire.lower(), []).append((name, wire, m))
            elif loc == "headers":
                found.header_maps.append((name, m.location_name or "", m))
            elif loc == "statusCode":
                found.status = name
        return found

    @property
    def location_name(self) -> str | None:
        return self.trait("locationName")

    @cached_property
    def is_json_value(self) -> bool:
        """A string carrying JSON as is (the ``jsonvalue`` trait)."""
        return bool(self.trait("jsonvalue"))

    @cached_property
    def json_names(self) -> dict[str, str]:
        """Member name -> the key it carries in a JSON body (``locationName`` or its own name)."""
        return {name: m.trait("locationName") or name for name, m in self.members.items()}

    @property
    def enum(self) -> list[str] | None:
        return self.defn.get("enum")

    @property
    def is_streaming(self) -> bool:
        return bool(self.trait("streaming") or self.defn.get("requiresLength"))

    @property
    def is_eventstream(self) -> bool:
        return bool(self.defn.get("eventstream"))

    @cached_property
    def event_stream_member(self) -> str | None:
        """The member of an output structure that is an event stream, if any."""
        return next((name for name, m in self.members.items() if m.is_eventstream), None)

    @property
    def payload(self) -> str | None:
        return self.defn.get("payload")

    @property
    def flattened(self) -> bool:
        return bool(self.trait("flattened"))

    @property
    def is_union(self) -> bool:
        return bool(self.defn.get("union"))

    @cached_property
    def error(self) -> dict[str, Any]:
        return self.defn.get("error", {})

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<Shape {self.model.name}.{self.name} {self.type}>"


class Operation:
    """One operation of a service model."""

    def __init__(self, model: ServiceModel, name: str, defn: dict[str, Any]) -> None:
        self.model = model
        self.name = name
        self.defn = defn
        http = defn.get("http", {})
        self.http_method: str = http.get("method", "POST")
        self.request_uri: str = http.get("requestUri", "/")
        self.response_code: int = http.get("responseCode", 200)

    @cached_property
    def uri_query_names(self) -> frozenset[str]:
        """Names in the request URI's literal query part (``/{Bucket}?uploads`` -> uploads)."""
        query = self.request_uri.partition("?")[2]
        return frozenset(part.split("=", 1)[0] for part in query.split("&") if part)

    @cached_property
    def input(self) -> Shape | None:
        ref = self.defn.get("input")
        return self.model.member_shape(ref) if ref else None

    @cached_property
    def output(self) -> Shape | None:
        ref = self.defn.get("output")
        return self.model.member_shape(ref) if ref else None

    @cached_property
    def errors(self) -> list[Shape]:
        return [self.model.member_shape(ref) for ref in self.defn.get("errors", ())]

    @property
    def result_wrapper(self) -> str | None:
        ref = self.defn.get("output")
        return ref.get("resultWrapper") if ref else None

    def __repr__(self) -> str:  # pragma: no cover
        return f"<Operation {self.model.name}.{self.name}>"


class ServiceModel:
    """A botocore service model, with shapes resolved on demand."""

    def __init__(self, name: str, raw: dict[str, Any]) -> None:
        self.name = name
        self.metadata: dict[str, Any] = raw["metadata"]
        self.shapes: dict[str, dict[str, Any]] = raw["shapes"]
        self._ops_raw: dict[str, dict[str, Any]] = raw["operations"]
        self._ops: dict[str, Operation] = {}
        self._member_cache: dict[int, Shape] = {}

    @property
    def protocol(self) -> str:
        return self.metadata["protocol"]

    @property
    def protocols(self) -> list[str]:
        return self.metadata.get("protocols") or [self.metadata["protocol"]]

    @property
    def api_version(self) -> str:
        return self.metadata["apiVersion"]

    @property
    def target_prefix(self) -> str | None:
        return self.metadata.get("targetPrefix")

    @property
    def signing_name(self) -> str:
        return self.metadata.get("signingName") or self.metadata["endpointPrefix"]

    @cached_property
    def xml_namespace(self) -> str | None:
        """The service's XML namespace: from its metadata, else the one its shapes declare."""
        ns = self.metadata.get("xmlNamespace")
        if ns is None:
            found = (
                ref.get("xmlNamespace")
                for shape in self.shapes.values()
                for ref in shape.get("members", {}).values()
                if "xmlNamespace" in ref
            )
            ns = next(found, None)
        return ns.get("uri") if isinstance(ns, dict) else ns

    @property
    def query_compatible(self) -> bool:
        return "awsQueryCompatible" in self.metadata

    @property
    def operation_names(self) -> list[str]:
        return list(self._ops_raw)

    def has_operation(self, name: str) -> bool:
        return name in self._ops_raw

    def operation(self, name: str) -> Operation:
        op = self._ops.get(name)
        if op is None:
            op = self._ops[name] = Operation(self, name, self._ops_raw[name])
        return op

    def shape(self, name: str) -> Shape:
        return Shape(self, name)

    def member_shape(self, ref: dict[str, Any]) -> Shape:
        # Member references are dicts that live as long as the model: cache by identity.
        key = id(ref)
        shape = self._member_cache.get(key)
        if shape is None:
            shape = self._member_cache[key] = Shape(self, ref["shape"], ref)
        return shape

    @cached_property
    def error_shapes(self) -> dict[str, Shape]:
        """Error shapes by name and by their declared query error code."""
        found: dict[str, Shape] = {}
        for name, defn in self.shapes.items():
            if defn.get("exception"):
                shape = self.shape(name)
                found[name] = shape
                code = defn.get("error", {}).get("code")
                if code:
                    found.setdefault(code, shape)
        return found


_MODELS: dict[str, ServiceModel] = {}


def service_model(name: str) -> ServiceModel:
    """The botocore model of a service (``sqs``, ``lambda``, ...), loaded once."""
    model = _MODELS.get(name)
    if model is None:
        model = _MODELS[name] = ServiceModel(name, load_model_json(name))
    return model


_PROTOCOL_MODELS: dict[tuple[str, str], ServiceModel] = {}


def protocol_model(service: str, protocol: str) -> ServiceModel:
    """The model that requests to ``service`` in ``protocol`` follow, loaded once.

    A query-compatible JSON service (SQS) answers the query protocol in the member names of
    the query model it had before it moved to JSON (``Attribute.N.Name``, flattened
    ``<Message>``), as the SDKs built from that model send and read them. Cloudlet ships that
    model (``services.registry.QUERY_MODELS``); every other pair is the service's own model.
    """
    key = (service, protocol)
    model = _PROTOCOL_MODELS.get(key)
    if model is None:
        data_dir = query_model_dir(service) if protocol == "query" else None
        if data_dir is None:
            model = service_model(service)
        else:
            model = ServiceModel(service, load_model_json(service, data_dir=data_dir))
        _PROTOCOL_MODELS[key] = model
    return model


def query_model_dir(service: str) -> Path | None:
    """The botocore-style data directory holding ``service``'s query model, if Cloudlet ships one
    (``<package>/models/<service>/<api-version>/service-2.json.gz``; botocore loads it too)."""
    from cloudlet.services.registry import QUERY_MODELS

    package = QUERY_MODELS.get(service)
    if package is None:
        return None
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {package} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"
