"""Helpers for the gateway tests: botocore clients on loopback, minimal parameters, raw HTTP.

Everything here builds requests with botocore itself (serializers, signers, handlers), so
the server sees what real SDKs send.
"""

from __future__ import annotations

import datetime as dt
import http.client
import importlib
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.session
from botocore import xform_name
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape
from botocore.serialize import create_serializer

from cloudlet.gateway.dispatch import snake_case
from cloudlet.services.registry import PROVIDERS, SERVICES

REGION = "us-east-1"
# Raw requests are mutated after signing (bad-input and fuzz tests): their access key is one whose
# secret Cloudlet does not know, so their signatures are not checked (signatures.py).
CREDENTIALS = Credentials("AKIDUNKNOWNSECRET", "unknown")
TIMESTAMP = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@cache
def session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def service_model(service: str) -> Any:
    return session().get_service_model(service)


def operations(service: str) -> list[str]:
    return list(service_model(service).operation_names)


def all_operations() -> list[tuple[str, str]]:
    return [(s, op) for s in SERVICES for op in operations(s)]


def implemented(service: str, operation: str) -> bool:
    """Whether Cloudlet's provider of ``service`` has a method for ``operation``."""
    spec = PROVIDERS.get(service)
    if spec is None:
        return False
    module, _, name = spec.partition(":")
    return hasattr(getattr(importlib.import_module(module), name), snake_case(operation))


def _wire_form(service: str, operation: str) -> tuple[Any, ...] | None:
    """What tells a rest operation apart on the wire: method, template, required query and headers."""
    op = service_model(service).operation_model(operation)
    if not service_model(service).protocol.startswith("rest"):
        return None
    path, _, query = op.http.get("requestUri", "/").partition("?")
    path = re.sub(r"\{[^}]+\+\}", "{+}", re.sub(r"\{[^}+]+\}", "{}", path))
    discriminators = {q for q in query.split("&") if q and not q.startswith("x-id")}
    shape = op.input_shape
    for name in shape.required_members if shape is not None else ():
        member = shape.members[name]
        if member.serialization.get("location") in ("header", "querystring"):
            discriminators.add(member.serialization.get("name", name).lower())
    return (op.http["method"], path, frozenset(discriminators))


@cache
def _twins_index() -> dict[tuple[Any, ...], list[tuple[str, str, bool]]]:
    index: dict[tuple[Any, ...], list[tuple[str, str, bool]]] = {}
    for service, operation in all_operations():
        form = _wire_form(service, operation)
        if form is not None:
            deprecated = bool(service_model(service).operation_model(operation).deprecated)
            index.setdefault(form, []).append((service, operation, deprecated))
    return index


def expected_targets(service: str, operation: str, *, scoped: bool = True) -> set[tuple[str, str]]:
    """The (service, operation) pairs a request of ``operation`` may be routed to.

    Usually just itself. Operations whose requests are identical on the wire cannot be
    told apart (AWS uses the host: ``s3express-control`` for ListDirectoryBuckets);
    between such twins a current operation wins over a deprecated one. ``scoped=False``
    (unsigned requests) also lets twins of other services match, e.g. ``GET /tags/{arn}``.
    """
    form = _wire_form(service, operation)
    twins = _twins_index().get(form, []) if form is not None else []
    twins = [t for t in twins if not scoped or t[0] == service]
    current = [t for t in twins if not t[2]]
    if len(twins) <= 1:
        return {(service, operation)}
    return {(s, o) for s, o, _ in (current or twins)}


# ---- minimal parameters -----------------------------------------------------------------


def minimal_value(shape: Shape, depth: int = 0) -> Any:
    """The smallest plausible value of ``shape``: required members only, one list item."""
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return {}
        if shape.metadata.get("union"):
            name, member = next(iter(shape.members.items()))
            return {name: minimal_value(member, depth + 1)}
        return {
            name: minimal_value(shape.members[name], depth + 1)
            for name in shape.required_members
            if depth < 12
        }
    if kind == "list":
        return [minimal_value(shape.member, depth + 1)]
    if kind == "map":
        return {"key": minimal_value(shape.value, depth + 1)}
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        low = shape.metadata.get("min", 0)
        high = shape.metadata.get("max", 64)
        return ("test" * 64)[: max(min(max(low, 4), high), 1)]
    if kind in ("integer", "long", "short", "byte"):
        return max(shape.metadata.get("min", 1), 1)
    if kind in ("float", "double"):
        return float(max(shape.metadata.get("min", 1), 1))
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return TIMESTAMP
    if kind == "blob":
        return b"data"
    return None


_TEXT = "value-\u00e9 &<>'\"%+;,=?"


def full_value(shape: Shape, depth: int = 0) -> Any:
    """A value of ``shape`` with every member filled (to a depth), for seeding the fuzzer."""
    kind = shape.type_name
    if depth > 4:
        return minimal_value(shape, depth + 8)
    if kind == "structure":
        if shape.metadata.get("document"):
            return {"doc": [1, "two", None, {"three": 3.5}]}
        members = list(shape.members.items())
        if shape.metadata.get("union"):
            members = members[:1]
        return {name: full_value(member, depth + 1) for name, member in members}
    if kind == "list":
        return [full_value(shape.member, depth + 1) for _ in range(2)]
    if kind == "map":
        return {f"key{i}": full_value(shape.value, depth + 1) for i in range(2)}
    if kind == "string":
        return shape.enum[0] if shape.enum else _TEXT
    if kind in ("integer", "long", "short", "byte"):
        return 7
    if kind in ("float", "double"):
        return 1.5
    if kind == "boolean":
        return False
    if kind == "blob":
        return b"\x00\xffdata"
    return minimal_value(shape, depth)


def full_params(service: str, operation: str) -> dict[str, Any]:
    model = service_model(service).operation_model(operation)
    if model.input_shape is None:
        return {}
    return full_value(model.input_shape)


def minimal_params(service: str, operation: str) -> dict[str, Any]:
    model = service_model(service).operation_model(operation)
    if model.input_shape is None:
        return {}
    return minimal_value(model.input_shape)


# ---- clients ----------------------------------------------------------------------------


def _redirect_to(endpoint: str):
    """A ``before-send`` hook sending every request to ``endpoint``, keeping its Host header.

    Lets botocore build virtual-hosted S3 URLs and host-prefixed endpoints (``sync-…``)
    while the bytes still go to the loopback server.
    """
    target = urlsplit(endpoint)

    def hook(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        if parts.netloc != target.netloc or parts.scheme != target.scheme:
            request.headers["Host"] = parts.netloc
            request.url = urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))

    return hook


def make_client(
    service: str, endpoint: str, *, host: str | None = None, scheme: str = "http", **config: Any
) -> Any:
    """A boto3 client on loopback, no retries, no parameter validation.

    ``host`` (e.g. ``s3.localhost.test:4566``) and ``scheme`` make the endpoint botocore
    believes it talks to; ``https`` makes it send what it sends over TLS (aws-chunked
    uploads with trailing checksums) while the bytes still go to ``endpoint``.
    """
    options: dict[str, Any] = {
        "retries": {"total_max_attempts": 1},
        "parameter_validation": False,
        "connect_timeout": 10,
        "read_timeout": 30,
    }
    options.update(config)
    url = f"{scheme}://{host or urlsplit(endpoint).netloc}"
    client = boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(**options),
    )
    client.meta.events.register_last("before-send", _redirect_to(endpoint))
    return client


@dataclass
class Outcome:
    status: int
    code: str
    message: str
    headers: dict[str, str]


def call(client: Any, operation: str, params: dict[str, Any]) -> Outcome:
    """Call ``operation`` and report the HTTP status and error (empty code on success)."""
    method = getattr(client, xform_name(operation))
    try:
        out = method(**params)
    except ClientError as exc:
        meta = exc.response.get("ResponseMetadata", {})
        err = exc.response.get("Error", {})
        return Outcome(
            meta.get("HTTPStatusCode", 0),
            err.get("Code", ""),
            err.get("Message", ""),
            meta.get("HTTPHeaders", {}),
        )
    meta = out.get("ResponseMetadata", {})
    for value in out.values():  # drain streaming bodies
        if hasattr(value, "read"):
            value.read()
    return Outcome(meta.get("HTTPStatusCode", 0), "", "", meta.get("HTTPHeaders", {}))


def not_implemented_message(service: str, operation: str) -> str:
    return f"The operation {operation} of service {service} is not implemented by Cloudlet yet."


# ---- requests serialized by botocore, sent raw ------------------------------------------


@dataclass
class Raw:
    """An HTTP request as bytes on the wire, before or after mutation."""

    method: str
    path: str  # path and query string
    headers: dict[str, str]
    body: bytes


def serialize(
    service: str,
    operation: str,
    params: dict[str, Any],
    protocol: str | None = None,
    endpoint: str = "http://127.0.0.1",
) -> Raw:
    """Serialize with botocore's serializer for ``protocol`` (the model's own by default), signed."""
    model = service_model(service)
    op: OperationModel = model.operation_model(operation)
    serializer = create_serializer(protocol or model.protocol, include_validation=False)
    request_dict = serializer.serialize_to_request(params, op)
    url = endpoint.rstrip("/") + request_dict["url_path"]
    query = request_dict.get("query_string")
    body = request_dict.get("body") or b""
    if isinstance(body, dict):  # query protocol: the form, urlencoded by the request
        from urllib.parse import urlencode

        body = urlencode(body, doseq=True).encode()
        request_dict["headers"].setdefault("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
    elif isinstance(body, str):
        body = body.encode()
    elif hasattr(body, "read"):
        body = body.read()
    if query:
        from urllib.parse import urlencode

        url += ("&" if "?" in url else "?") + (
            query if isinstance(query, str) else urlencode(query, doseq=True)
        )
    request = AWSRequest(
        method=request_dict["method"], url=url, data=body, headers=dict(request_dict["headers"])
    )
    SigV4Auth(CREDENTIALS, model.signing_name, REGION).add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    headers = {k: v if isinstance(v, str) else v.decode() for k, v in prepared.headers.items()}
    return Raw(prepared.method, path, headers, prepared.body or b"")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    endpoint: str,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = b"",
    timeout: float = 10.0,
) -> Reply:
    """Send one request over a fresh connection and read the whole answer (HEAD: no body)."""
    parts = urlsplit(endpoint)
    # The framing is http.client's: a Content-Length that disagrees with the body would
    # only make the server wait for bytes that never come.
    headers = {
        k: v for k, v in (headers or {}).items() if k.lower() not in ("content-length", "transfer-encoding")
    }
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def send_raw(raw: Raw, endpoint: str, timeout: float = 10.0) -> Reply:
    return send(endpoint, raw.method, raw.path, raw.headers, raw.body, timeout)


# ---- answers read by botocore's own parsers ---------------------------------------------


@dataclass
class Parsed:
    status: int
    code: str
    message: str
    request_id: str
    parsed: dict[str, Any]


def parse_reply(reply: Reply, protocol: str) -> Parsed:
    """Read an answer the way botocore does for ``protocol`` (errors without a model)."""
    from botocore.awsrequest import HeadersDict
    from botocore.parsers import create_parser

    response = {"status_code": reply.status, "headers": HeadersDict(reply.headers), "body": reply.body}
    parsed = create_parser(protocol).parse(response, None)
    error = parsed.get("Error", {})
    meta = parsed.get("ResponseMetadata", {})
    return Parsed(
        reply.status, error.get("Code", ""), error.get("Message", ""), meta.get("RequestId", ""), parsed
    )


# ---- did the request reach the operation? -----------------------------------------------

# Codes with which the gateway or the protocol layer turn a request away before any provider.
REJECTIONS = frozenset(
    {
        "SerializationException",
        "MalformedXML",
        "MalformedQueryString",
        "IncompleteBody",
        "UnknownOperationException",
        "InvalidAction",
        "MissingAction",
        "MethodNotAllowed",
        "IncompleteSignature",
        "AuthorizationHeaderMalformed",
        "InternalFailure",
    }
)


# Operations whose provider answers MalformedXML for the empty configuration minimal
# parameters carry, as S3 does (the gateway answers it too, for XML it cannot read).
EMPTY_IS_MALFORMED = {
    ("s3", "PutBucketVersioning"),
    ("s3", "PutBucketLifecycleConfiguration"),
    ("s3", "PutBucketCors"),
    ("s3", "PutBucketOwnershipControls"),
    ("s3", "DeleteObjects"),
    ("s3", "CompleteMultipartUpload"),
    ("s3", "PutBucketEncryption"),
    ("s3", "PutBucketAccelerateConfiguration"),
    ("s3", "PutObjectLockConfiguration"),  # recorded: put-lock-config-empty
}


def reach_problem(service: str, operation: str, status: int, code: str, message: str) -> str | None:
    """Why an answer shows that a request did not reach ``operation``; None if it did.

    An operation Cloudlet does not implement must answer the 501 naming it; one it does
    implement may answer anything but a gateway rejection (a missing queue, say).
    """
    if implemented(service, operation):
        if status >= 500 or (code in REJECTIONS and (service, operation) not in EMPTY_IS_MALFORMED):
            return f"implemented, but answered {status} {code}: {message}"
        return None
    if (status, code) != (501, "NotImplemented"):
        return f"{status} {code}: {message}"
    if message != not_implemented_message(service, operation):
        return f"routed elsewhere: {message}"
    return None


def reply_reaches(reply: Reply, service: str, operation: str, protocol: str | None = None) -> str | None:
    """:func:`reach_problem` for a raw reply, read with botocore's parser for ``protocol``."""
    protocol = protocol or service_model(service).protocol
    if reply.status < 300:
        return reach_problem(service, operation, reply.status, "", "")
    parsed = parse_reply(reply, protocol)
    return reach_problem(service, operation, parsed.status, parsed.code, parsed.message)


def outcome_reaches(outcome: Outcome, service: str, operation: str) -> str | None:
    return reach_problem(service, operation, outcome.status, outcome.code, outcome.message)
