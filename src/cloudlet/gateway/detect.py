"""Find a request's service, protocol and operation the way AWS front ends do.

Signals, strongest first: the SigV4 credential scope (header or presigned query), the
``X-Amz-Target`` header, the rpc-v2-cbor path, ``Action``/``Version`` form parameters,
the Host header, and the request-URI templates of the rest services.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote

from cloudlet.core.regions import is_region
from cloudlet.gateway.request import Request
from cloudlet.gateway.routing_index import RestRoute, compile_routes, label_group
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.registry import SIGNING_ALIASES

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"

_SIGV4_SCHEMES = ("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")
_AUTH_PARAM_RE = re.compile(r"(\w+)=([^,\s]*)")
_DATE_RE = re.compile(r"^\d{8}$")
_SIGV4_PARTS = ("Credential", "SignedHeaders", "Signature")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_FORM_TYPES = ("application/x-www-form-urlencoded", "")


@dataclass
class Credentials:
    """What the request says about who signed it and for which scope.

    Reading never fails: a malformed signature is kept in ``malformed`` and answered
    (by :func:`signature_error`) once the service is known, in that service's protocol.
    """

    access_key: str = ""
    region: str = ""
    signing_name: str = ""
    scheme: str = ""  # "sigv4", "sigv2" or "" (unsigned)
    malformed: str = ""  # "header", "scheme" or "query" when the signature cannot be read
    missing: tuple[str, ...] = ()  # SigV4 components a malformed Authorization header lacks
    authorization: str = ""


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
    """Access key, region and signing name from SigV4/SigV4a (header or query) or SigV2."""
    auth = request.headers.get("authorization")
    if auth:
        return _header_credentials(auth.strip())
    credential = request.query.get("X-Amz-Credential")
    if credential:
        creds = _scope(credential)
        if creds is None:
            return Credentials(scheme="sigv4", malformed="query", authorization=credential)
        return creds
    if "AWSAccessKeyId" in request.query and "Signature" in request.query:
        return Credentials(request.query["AWSAccessKeyId"], "", "s3", "sigv2")
    return Credentials()


def _scope(credential: str) -> Credentials | None:
    """``AKID/date/region/service/aws4_request`` (SigV4) or ``AKID/date/service/aws4_request`` (SigV4a)."""
    parts = _scope_parts(credential)
    return Credentials(*parts) if parts is not None else None


@lru_cache(maxsize=1024)
def _scope_parts(credential: str) -> tuple[str, str, str, str] | None:
    """(access key, region, signing name, scheme) of a credential scope (clients reuse theirs all day)."""
    parts = credential.split("/")
    if parts[-1] != "aws4_request" or not _DATE_RE.match(parts[1] if len(parts) > 1 else ""):
        return None
    if len(parts) == 5 and parts[2] and parts[3]:
        return parts[0], parts[2], parts[3], "sigv4"
    if len(parts) == 4 and parts[2]:
        return parts[0], "", parts[2], "sigv4a"
    return None


def _header_credentials(auth: str) -> Credentials:
    scheme, _, rest = auth.partition(" ")
    if scheme in _SIGV4_SCHEMES:
        fields = dict(_AUTH_PARAM_RE.findall(rest))
        creds = _scope(fields.get("Credential", "")) or Credentials(scheme="sigv4")
        missing = [p for p in _SIGV4_PARTS if not fields.get(p)]
        if not creds.signing_name and "Credential" not in missing:
            missing.insert(0, "Credential")
        if missing:
            creds.malformed, creds.missing, creds.authorization = "header", tuple(missing), auth
        return creds
    if scheme == "AWS" and ":" in rest:
        return Credentials(rest.split(":", 1)[0].strip(), "", "s3", "sigv2")
    return Credentials(malformed="scheme", missing=_SIGV4_PARTS, authorization=auth)


def service_not_provided(signing_name: str) -> ServiceError:
    """The answer to a request signed for an AWS service Cloudlet does not serve (EC2, RDS, ...)."""
    return ServiceError(
        "NotImplemented",
        f"Cloudlet does not provide the AWS service {signing_name!r} (named by the request's credential "
        "scope); the services it serves are listed in its README.",
        501,
        sender_fault=False,
    )


def signature_error(creds: Credentials) -> ServiceError:
    """The error AWS front ends answer for a signature they cannot read (``creds.malformed``);
    a service that words it otherwise overrides ``Provider.signature_error``."""
    if creds.malformed == "query":
        return ServiceError(
            "IncompleteSignature",
            f"Credential should be scoped with a valid terminator: 'aws4_request'. "
            f"X-Amz-Credential={creds.authorization}",
            403,
        )
    reasons = " ".join(f"Authorization header requires '{part}' parameter." for part in creds.missing)
    return ServiceError("IncompleteSignature", f"{reasons} Authorization={creds.authorization}", 403)


class Router:
    """Maps requests to targets using the routing index built from the models."""

    def __init__(self, index: dict[str, Any]) -> None:
        self.services: dict[str, dict[str, Any]] = index["services"]
        self.by_signing: dict[str, list[str]] = {}
        self.by_prefix: dict[str, list[str]] = {}
        self.by_target: dict[str, str] = {}
        self.by_version: dict[str, list[str]] = {}
        self.operations: dict[str, set[str]] = {}
        for name, entry in self.services.items():
            self.by_signing.setdefault(entry["signing_name"], []).append(name)
            self.by_prefix.setdefault(entry["endpoint_prefix"], []).append(name)
            if entry["target_prefix"]:
                self.by_target[entry["target_prefix"]] = name
            self.by_version.setdefault(entry["api_version"], []).append(name)
            self.operations[name] = set(entry["operations"])
        self._routes: dict[str, list[RestRoute]] = {}
        self._routes_by_method: dict[str, dict[str, list[RestRoute]]] = {}
        self._host_hints: dict[str, tuple[list[str], str]] = {}

    # -- helpers --
    def routes(self, service: str) -> list[RestRoute]:
        """The rest routes of ``service``, most specific first (compiled on first use)."""
        routes = self._routes.get(service)
        if routes is None:
            routes = self._routes[service] = compile_routes(service, self.services[service])
        return routes

    def routes_for(self, service: str, method: str) -> list[RestRoute]:
        """The rest routes of ``service`` for one HTTP method, most specific first."""
        by_method = self._routes_by_method.get(service)
        if by_method is None:
            by_method = {}
            for route in self.routes(service):
                by_method.setdefault(route.method, []).append(route)
            self._routes_by_method[service] = by_method
        return by_method.get(method, [])

    def speaks_query(self, service: str) -> bool:
        """Query services, and query-compatible JSON ones that still take forms (SQS)."""
        entry = self.services[service]
        return "query" in entry["protocols"] or entry.get("query_compatible", False)

    def speaks(self, service: str, protocol: str) -> bool:
        """Whether ``service`` answers requests in ``protocol``."""
        if protocol == "query":
            return self.speaks_query(service)
        return protocol in self.services[service]["protocols"]

    def is_rest(self, service: str) -> bool:
        """Whether ``service`` is routed by request-URI templates (rest-json, rest-xml)."""
        return self.services[service]["protocol"].startswith("rest")

    def _host_hint(self, host: str) -> tuple[list[str], str]:
        """Services and region named by a Host like ``sqs.eu-west-1.amazonaws.com``."""
        hint = self._host_hints.get(host)
        if hint is None:
            if len(self._host_hints) > 4096:
                self._host_hints.clear()
            hint = self._host_hints[host] = self._read_host(host)
        return hint

    def _read_host(self, host: str) -> tuple[list[str], str]:
        name = host.split(":", 1)[0].lower()
        labels = name.split(".")
        region = next((label for label in labels[1:3] if _REGION_RE.match(label)), "")
        if _s3_path_style(host, "/", self.by_prefix) is not None:
            return ["s3"], region
        return self.by_prefix.get(labels[0], []), region

    # -- the main entry --
    def route(self, request: Request, creds: Credentials | None = None) -> Target:
        """The service and operation of ``request``; raises ServiceError when none can be told."""
        if creds is None:
            creds = parse_credentials(request)
        host_services, host_region = self._host_hint(request.host)
        region = creds.region or host_region or DEFAULT_REGION
        key = creds.access_key
        candidates = self.by_signing.get(creds.signing_name, []) if creds.signing_name else []
        if not candidates:
            alias = SIGNING_ALIASES.get(creds.signing_name)
            if creds.signing_name and alias is None and not host_services:
                raise service_not_provided(creds.signing_name)
            # the aliased service and those signing as it does (S3 Control signs as S3)
            aliased = (
                self.by_signing.get(self.services[alias]["signing_name"], [])
                if alias in self.services
                else []
            )
            candidates = host_services or aliased

        target = request.headers.get("x-amz-target")
        if target:
            return self._route_target(target, candidates, region, key)
        if request.path.startswith("/service/") and "/operation/" in request.path:
            return self._route_cbor(request, candidates, region, key)
        rpc_only = bool(candidates) and not any(self.is_rest(c) for c in candidates)
        if rpc_only or "Action" in request.query or self._is_form_post(request, candidates):
            found = self._route_query(request, candidates, region, key)
            if found is not None:
                return found
        if rpc_only:  # a json or cbor service, asked without a target: no operation
            service = candidates[0]
            return Target(service, self.services[service]["protocol"], None, region, key)
        return self._route_rest(request, candidates, region, creds)

    def _is_form_post(self, request: Request, candidates: list[str]) -> bool:
        """A POST that may carry ``Action`` in a form body (not for a rest service)."""
        return (
            request.method == "POST"
            and request.content_type in _FORM_TYPES
            and not any(self.is_rest(c) for c in candidates)
        )

    def _route_target(self, target: str, candidates: list[str], region: str, key: str) -> Target:
        prefix, _, op = target.rpartition(".")
        service = self.by_target.get(prefix)
        if service is None:
            service = next((c for c in candidates if self.services[c]["target_prefix"]), None)
        if service is None:
            raise ServiceError("UnknownOperationException", "", 400)
        protocol = "json"
        if op in self.operations[service]:
            return Target(service, protocol, op, region, key)
        return Target(service, protocol, None, region, key, unknown=op)

    def _route_cbor(self, request: Request, candidates: list[str], region: str, key: str) -> Target:
        parts = request.path.split("?", 1)[0].split("/")
        # /service/{ServiceName}/operation/{Operation}
        service = self.by_target.get(parts[2]) if len(parts) > 2 else None
        if service is None:
            service = next((c for c in candidates if self.services[c]["target_prefix"]), None)
        if service is None:
            raise ServiceError("UnknownOperationException", "", 404)
        op = parts[4] if len(parts) == 5 and parts[3] == "operation" else ""
        protocol = "smithy-rpc-v2-cbor"
        if op in self.operations[service]:
            return Target(service, protocol, op, region, key)
        return Target(service, protocol, None, region, key, unknown=op)

    def _route_query(self, request: Request, candidates: list[str], region: str, key: str) -> Target | None:
        """A form request: the scope's service, else the one whose API version is asked for."""
        params = _action_fields(request)
        action = params.get("Action")
        if candidates:
            services = [c for c in candidates if self.speaks_query(c)]
            if not services:
                return None
        elif action is None:
            return None
        else:
            version = params.get("Version", "")
            services = [s for s in self.by_version.get(version, []) if self.speaks_query(s)]
            services = services or [
                s for s in self.services if self.speaks_query(s) and action in self.operations[s]
            ]
        if not services:
            raise ServiceError(
                "InvalidAction", f"The action {action} is not valid for this web service.", 400
            )
        service = next((s for s in services if action in self.operations[s]), services[0])
        if action is not None and action in self.operations[service]:
            return Target(service, "query", action, region, key)
        return Target(service, "query", None, region, key, unknown=action or "")

    def _route_rest(self, request: Request, candidates: list[str], region: str, creds: Credentials) -> Target:
        services = [c for c in candidates if self.is_rest(c)]
        path = request.path.split("?", 1)[0] or "/"
        found = self._best_rest_match(request, services or self._unscoped_rest_services(), path)
        if found is None:
            service = services[0] if services else "s3"
            return Target(
                service, self.services[service]["protocol"], None, region, creds.access_key, unknown=path
            )
        route, labels, use_path = found
        service = route.service
        target = Target(
            service, self.services[service]["protocol"], route.operation, region, creds.access_key
        )
        target.labels = labels
        if use_path != path:
            target.path_override = use_path
        return target

    def _unscoped_rest_services(self) -> list[str]:
        """Rest services to try for a request without a credential scope: S3 last.

        S3's ``/{Bucket}/{Key+}`` matches nearly any path, so it only takes what the
        literal templates of the other services do not (the local-cloud convention:
        unsigned, unrecognised requests are S3).
        """
        rest = [s for s, e in self.services.items() if e["protocol"].startswith("rest") and s != "s3"]
        return [*rest, "s3"] if "s3" in self.services else rest

    def _best_rest_match(
        self, request: Request, services: list[str], path: str
    ) -> tuple[RestRoute, dict[str, str], str] | None:
        """The most specific route over ``services``; S3 only when no other service matches."""
        best: tuple[RestRoute, dict[str, str], str] | None = None
        for service in services:
            if service == "s3" and best is not None:
                break
            for use_path in self._candidate_paths(service, request, path):
                match = self._match(service, request, use_path)
                if match is not None:
                    if best is None or match[0].rank > best[0].rank:
                        best = (*match, use_path)
                    break
        return best

    def _candidate_paths(self, service: str, request: Request, path: str) -> list[str]:
        """The path to match, preceded for S3 by its path-style form of a virtual-hosted Host."""
        if service == "s3":
            s3_path = _s3_path_style(request.host, path, self.by_prefix)
            if s3_path is not None:
                return [s3_path, path]
        return [path]

    def _match(self, service: str, request: Request, path: str) -> tuple[RestRoute, dict[str, str]] | None:
        method = request.method
        query = request.query
        tries = [path]
        if path.endswith("/") and len(path) > 1:
            tries.append(path.rstrip("/"))
        routes = self.routes_for(service, method)
        keys = query.keys()
        for candidate in tries:
            for route in routes:
                # the query and header conditions first: cheaper than the regex
                required = route.query_required
                if required and (
                    not route.required_keys <= keys
                    or any(v is not None and query[k] != v for k, v in required.items())
                ):
                    continue
                if any(k in query and query[k] != v for k, v in route.query_optional.items()):
                    continue
                if any(h not in request.headers for h in route.headers_required):
                    continue
                m = route.regex.match(candidate)
                if m is None:
                    continue
                labels = {name: unquote(m.group(label_group(name))) for name in route.labels}
                return route, labels
        return None


def s3_bucket_named(request: Request) -> str | None:
    """The bucket an S3 request would address (virtual-hosted or path style), if any."""
    path = _s3_path_style(request.host, request.path) or request.path
    segment = path.lstrip("/").split("/", 1)[0]
    return unquote(segment) or None


def s3_endpoint_region(host: str) -> str | None:
    """The region an S3 endpoint's Host names (``s3.eu-west-1.localhost``,
    ``bucket.s3.eu-west-1.amazonaws.com``, ``s3.dualstack.eu-west-1…``, the legacy
    ``s3-eu-west-1…``), if any."""
    labels = host.rsplit(":", 1)[0].lower().split(".") if not host.startswith("[") else []
    for i, label in enumerate(labels):
        if label == "s3":
            rest = [part for part in labels[i + 1 : i + 3] if part != "dualstack"]
            if rest and is_region(rest[0]):
                return rest[0]
        elif label.startswith("s3-") and is_region(label[3:]):
            return label[3:]
    return None


def _s3_path_style(host: str, path: str, reserved: Container[str] = ()) -> str | None:
    """Rewrite a virtual-hosted-style S3 request to path style.

    Hosts are ``bucket.s3.…`` as on AWS, and ``bucket.localhost`` as local clouds accept it,
    unless a label is a service's endpoint prefix in ``reserved`` (``sqs.localhost``,
    ``api-id.execute-api.localhost``).
    """
    name = host.split(":", 1)[0].lower()
    for marker in (".s3.", ".s3-"):
        idx = name.find(marker)
        if idx > 0:
            bucket = host[:idx]
            return "/" + bucket + (path if path != "/" else "")
    if name.endswith(".s3") and name.count(".") >= 1:
        return "/" + host[: name.rfind(".s3")] + (path if path != "/" else "")
    if name.endswith(".localhost") and name != "s3.localhost":
        bucket = host[: len(name) - len(".localhost")]
        if not any(label in reserved for label in bucket.lower().split(".")):
            return "/" + bucket + (path if path != "/" else "")
    return None


def _action_fields(request: Request) -> dict[str, str]:
    """``Action`` and ``Version`` of a query request: query string, then a form body.

    Undecodable bytes are replaced: telling the operation must not fail on a body the
    protocol parser will reject with the service's own error.
    """
    params = dict(request.query)
    if request.method != "GET" and request.content_type in _FORM_TYPES:
        text = request.read_body().decode("utf-8", "replace")
        for k, v in parse_qsl(text, keep_blank_values=True):
            if k in ("Action", "Version"):
                params.setdefault(k, v)
    return params


def account_for(access_key: str, issued: dict[str, str] | None = None) -> str:
    """Account of an access key: a 12-digit key is that account; issued keys their own."""
    if _ACCOUNT_RE.match(access_key):
        return access_key
    if issued and access_key in issued:
        return issued[access_key]
    return DEFAULT_ACCOUNT
