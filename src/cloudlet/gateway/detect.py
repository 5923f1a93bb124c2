"""Find a request's service, protocol and operation the way AWS front ends do.

Signals, strongest first: the SigV4 credential scope (header or presigned query), the
``X-Amz-Target`` header, the rpc-v2-cbor path, ``Action``/``Version`` form parameters,
the Host header, and the request-URI templates of the rest services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from cloudlet.gateway.request import Request
from cloudlet.gateway.routing_index import RestRoute, compile_routes, label_group
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.query_protocol import form_params

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"

_SIGV4_RE = re.compile(r"Credential=([^/,\s]*)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_FORM_TYPES = ("application/x-www-form-urlencoded", "")


@dataclass
class Credentials:
    access_key: str = ""
    region: str = ""
    signing_name: str = ""
    scheme: str = ""  # "sigv4", "sigv2" or "" (unsigned)


@dataclass
class Target:
    """Where a request goes; ``operation`` is None when the service knows no such operation."""

    service: str
    protocol: str
    operation: str | None
    region: str
    access_key: str
    labels: dict[str, str] = field(default_factory=dict)
    unknown: str = ""  # the operation name that was asked for, when unknown
    path_override: str | None = None  # S3 virtual-hosted requests, rewritten path-style


def parse_credentials(request: Request) -> Credentials:
    """Access key, region and signing name from SigV4 (header or query) or SigV2."""
    auth = request.headers.get("authorization")
    if auth:
        if auth.startswith("AWS4-"):
            m = _SIGV4_RE.search(auth)
            if m is None:
                raise ServiceError(
                    "IncompleteSignature",
                    f"Authorization header requires 'Credential' parameter. Authorization={auth}",
                    403,
                )
            return Credentials(m.group(1), m.group(3), m.group(4), "sigv4")
        if auth.startswith("AWS "):
            return Credentials(auth[4:].split(":", 1)[0], "", "s3", "sigv2")
        raise ServiceError(
            "IncompleteSignature",
            f"Authorization header requires 'Credential' parameter. Authorization={auth}",
            403,
        )
    credential = request.query.get("X-Amz-Credential")
    if credential:
        parts = credential.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request":
            raise ServiceError(
                "AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter", 400
            )
        return Credentials(parts[0], parts[2], parts[3], "sigv4")
    if "AWSAccessKeyId" in request.query and "Signature" in request.query:
        return Credentials(request.query["AWSAccessKeyId"], "", "s3", "sigv2")
    return Credentials()


class Router:
    """Maps requests to targets using the routing index built from the models."""

    def __init__(self, index: dict[str, Any]) -> None:
        self.services: dict[str, dict[str, Any]] = index["services"]
        self.by_signing: dict[str, list[str]] = {}
        self.by_prefix: dict[str, str] = {}
        self.by_target: dict[str, str] = {}
        self.by_version: dict[str, list[str]] = {}
        self.operations: dict[str, set[str]] = {}
        for name, entry in self.services.items():
            self.by_signing.setdefault(entry["signing_name"], []).append(name)
            self.by_prefix.setdefault(entry["endpoint_prefix"], name)
            if entry["target_prefix"]:
                self.by_target[entry["target_prefix"]] = name
            self.by_version.setdefault(entry["api_version"], []).append(name)
            self.operations[name] = set(entry["operations"])
        self._routes: dict[str, list[RestRoute]] = {}

    # -- helpers --
    def routes(self, service: str) -> list[RestRoute]:
        routes = self._routes.get(service)
        if routes is None:
            routes = self._routes[service] = compile_routes(service, self.services[service])
        return routes

    def speaks_query(self, service: str) -> bool:
        entry = self.services[service]
        return "query" in entry["protocols"] or service == "sqs"

    def _host_hint(self, host: str) -> tuple[str | None, str]:
        """Service and region named by a Host like ``sqs.eu-west-1.amazonaws.com``."""
        name = host.split(":", 1)[0].lower()
        labels = name.split(".")
        region = ""
        for label in labels[1:3]:
            if _REGION_RE.match(label):
                region = label
                break
        service = self.by_prefix.get(labels[0])
        return service, region

    # -- the main entry --
    def route(self, request: Request, creds: Credentials | None = None) -> Target:
        if creds is None:
            creds = parse_credentials(request)
        host_service, host_region = self._host_hint(request.host)
        region = creds.region or host_region or DEFAULT_REGION
        candidates = self.by_signing.get(creds.signing_name, []) if creds.signing_name else []

        target = request.headers.get("x-amz-target")
        if target:
            return self._route_target(target, candidates, region, creds.access_key)
        if request.path.startswith("/service/") and "/operation/" in request.path:
            return self._route_cbor(request, candidates, region, creds.access_key)
        if "Action" in request.query or (
            request.method == "POST" and request.content_type in _FORM_TYPES and not self._is_rest(candidates)
        ):
            found = self._route_query(request, candidates, region, creds.access_key)
            if found is not None:
                return found
        if not candidates and host_service:
            candidates = [host_service]
        return self._route_rest(request, candidates, region, creds)

    def _is_rest(self, candidates: list[str]) -> bool:
        return bool(candidates) and all(self.services[c]["protocol"].startswith("rest") for c in candidates)

    def _route_target(self, target: str, candidates: list[str], region: str, key: str) -> Target:
        prefix, _, op = target.rpartition(".")
        service = self.by_target.get(prefix)
        if service is None:
            service = candidates[0] if candidates else None
            if service is None or self.services[service]["protocol"] != "json":
                service = next((c for c in candidates if self.services[c]["target_prefix"]), None)
        if service is None:
            raise ServiceError("UnknownOperationException", "", 400)
        protocol = "json"
        if op in self.operations[service]:
            return Target(service, protocol, op, region, key)
        return Target(service, protocol, None, region, key, unknown=op)

    def _route_cbor(self, request: Request, candidates: list[str], region: str, key: str) -> Target:
        parts = request.path.split("/")
        # /service/{ServiceName}/operation/{Operation}
        if len(parts) != 5 or parts[3] != "operation":
            raise ServiceError("UnknownOperationException", "", 404)
        service = self.by_target.get(parts[2]) or (candidates[0] if candidates else None)
        if service is None:
            raise ServiceError("UnknownOperationException", "", 404)
        op = parts[4]
        if op in self.operations[service]:
            return Target(service, "smithy-rpc-v2-cbor", op, region, key)
        return Target(service, "smithy-rpc-v2-cbor", None, region, key, unknown=op)

    def _route_query(self, request: Request, candidates: list[str], region: str, key: str) -> Target | None:
        params = form_params(request)
        action = params.get("Action")
        if action is None and not candidates:
            return None
        services = [c for c in candidates if self.speaks_query(c)]
        if not services:
            version = params.get("Version", "")
            services = [s for s in self.by_version.get(version, []) if self.speaks_query(s)]
            if not services:
                services = [s for s in self.services if self.speaks_query(s) and action in self.operations[s]]
        if not services:
            if candidates:
                return None
            raise ServiceError(
                "InvalidAction", f"The action {action} is not valid for this web service.", 400
            )
        service = next((s for s in services if action in self.operations[s]), services[0])
        if action is None:
            return Target(service, "query", None, region, key, unknown="")
        if action in self.operations[service]:
            return Target(service, "query", action, region, key)
        return Target(service, "query", None, region, key, unknown=action)

    def _route_rest(self, request: Request, candidates: list[str], region: str, creds: Credentials) -> Target:
        services = [c for c in candidates if self.services[c]["protocol"].startswith("rest")]
        if not services:
            services = ["s3"]  # the local-cloud convention: unsigned, unrecognised requests are S3
        path = request.path.split("?", 1)[0] or "/"
        s3_path = None
        if "s3" in services:
            s3_path = _s3_path_style(request.host, path)
        for service in services:
            use_path = s3_path if service == "s3" and s3_path is not None else path
            match = self._match(service, request, use_path)
            if match is not None:
                route, labels = match
                target = Target(
                    service, self.services[service]["protocol"], route.operation, region, creds.access_key
                )
                target.labels = labels
                if use_path is not path:
                    target.path_override = use_path
                return target
        service = services[0]
        return Target(
            service, self.services[service]["protocol"], None, region, creds.access_key, unknown=path
        )

    def _match(self, service: str, request: Request, path: str) -> tuple[RestRoute, dict[str, str]] | None:
        method = request.method
        query = request.query
        tries = [path]
        if path.endswith("/") and len(path) > 1:
            tries.append(path.rstrip("/"))
        for candidate in tries:
            for route in self.routes(service):
                if route.method != method:
                    continue
                m = route.regex.match(candidate)
                if m is None:
                    continue
                if any(
                    k not in query or (v is not None and query[k] != v)
                    for k, v in route.query_required.items()
                ):
                    continue
                if any(k in query and query[k] != v for k, v in route.query_optional.items()):
                    continue
                if any(h not in request.headers for h in route.headers_required):
                    continue
                labels = {name: unquote(m.group(label_group(name))) for name in route.labels}
                return route, labels
        return None


def _s3_path_style(host: str, path: str) -> str | None:
    """Rewrite a virtual-hosted-style S3 request (``bucket.s3.…``) to path style."""
    name = host.split(":", 1)[0].lower()
    for marker in (".s3.", ".s3-"):
        idx = name.find(marker)
        if idx > 0:
            bucket = host[:idx]
            return "/" + bucket + (path if path != "/" else "")
    if name.endswith(".s3") and name.count(".") >= 1:
        return "/" + host[: name.rfind(".s3")] + (path if path != "/" else "")
    return None


def account_for(access_key: str, issued: dict[str, str] | None = None) -> str:
    """Account of an access key: a 12-digit key is that account; issued keys their own."""
    if _ACCOUNT_RE.match(access_key):
        return access_key
    if issued and access_key in issued:
        return issued[access_key]
    return DEFAULT_ACCOUNT
