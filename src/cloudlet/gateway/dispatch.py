"""From a decoded HTTP request to the provider and back: the one path every AWS call takes."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cloudlet.core import ids
from cloudlet.gateway.body import decode_chunked, inflate
from cloudlet.gateway.detect import (
    Credentials,
    Router,
    Target,
    account_for,
    parse_credentials,
    signature_error,
)
from cloudlet.gateway.request import Request
from cloudlet.gateway.signatures import Refusal, Signatures, Verdict
from cloudlet.protocol import get_protocol, json_cbor
from cloudlet.protocol.common import Response
from cloudlet.protocol.errors import ServiceError, internal_failure, not_implemented, validation_error
from cloudlet.protocol.model import Operation, ServiceModel, protocol_model
from cloudlet.protocol.validate import validate
from cloudlet.services.base import RequestContext
from cloudlet.services.registry import KEEP_CONTENT_ENCODING

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime

log = logging.getLogger("cloudlet.gateway")

# What finds a request's target: the router, or an entry point's own routing.
RouteFn = Callable[[Request, Credentials], Target]

# Protocols whose bodies can carry a JSON null (XML and query forms cannot).
_JSON_BODIES = frozenset({"json", "rest-json", "smithy-rpc-v2-cbor"})

# The namespace of errors AWS front ends answer before a query service is known.
_FAULT_NAMESPACE = "http://webservices.amazon.com/AWSFault/2005-15-09"


@lru_cache(maxsize=4096)
def snake_case(name: str) -> str:
    """``GetSMSAttributes`` -> ``get_sms_attributes`` (the provider method name)."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def _bare_model(protocol: str) -> ServiceModel:
    """A model with no shapes, to answer errors before the service is known."""
    meta = {
        "protocol": protocol,
        "apiVersion": "",
        "endpointPrefix": "cloudlet",
        "jsonVersion": "1.0",
        "xmlNamespace": _FAULT_NAMESPACE,
    }
    return ServiceModel("unknown", {"metadata": meta, "shapes": {}, "operations": {}})


def inflate_before_routing(request: Request, creds: Credentials) -> bool:
    """Whether a compressed body must be inflated to be routed (query forms carry ``Action``).

    A service that keeps ``Content-Encoding: gzip`` bodies as sent (S3) may be the target
    of a rest-xml request, so one is routed first and inflated after (see
    :meth:`Dispatcher.call`).
    """
    if creds.signing_name:
        return creds.signing_name not in KEEP_CONTENT_ENCODING
    return _guess_protocol(request) != "rest-xml"


def _guess_protocol(request: Request) -> str:
    if request.headers.get("x-amz-target"):
        return "json"
    if request.path.startswith("/service/"):
        return "smithy-rpc-v2-cbor"
    if "Action" in request.query or request.content_type == "application/x-www-form-urlencoded":
        return "query"
    return "rest-xml"


def unknown_operation(target: Target) -> ServiceError:
    if target.protocol == "query":
        if not target.unknown:
            return ServiceError("MissingAction", "Missing Action", 400)
        return ServiceError(
            "InvalidAction", f"The action {target.unknown} is not valid for this web service.", 400
        )
    if target.protocol == "rest-xml":
        return ServiceError(
            "MethodNotAllowed", "The specified method is not allowed against this resource.", 405
        )
    if target.protocol == "json":
        return ServiceError("UnknownOperationException", "", 400)
    return ServiceError("UnknownOperationException", "", 404)


class Dispatcher:
    """Routes, parses, validates, calls the provider and serializes the answer."""

    def __init__(self, runtime: Runtime, router: Router) -> None:
        self.runtime = runtime
        self.router = router
        self.signatures = Signatures.of(runtime)

    def handle(self, request: Request, route: RouteFn | None = None) -> Response | Awaitable[Response]:
        """The answer, or an awaitable of it when the operation has to wait (a long poll).

        The signature is checked first, on the request as it arrived (see signatures.py).
        ``route`` replaces the router for an entry point that knows more about the request
        (S3 access point hosts); it may raise ServiceError."""
        request_id = ids.request_id()
        json_cbor.mark(False)  # a request is answered in CBOR only once its CBOR body is parsed
        creds = parse_credentials(request)
        try:
            verdict = self.signatures.check(request, creds)
        except Exception:
            log.exception("signature check failed")
            return self.answer_unrouted(request, creds, internal_failure(), request_id)
        if verdict is not None:
            return self._after_check(verdict, request, creds, request_id, route)
        return self._route(request, creds, request_id, route)

    def _after_check(
        self,
        verdict: Verdict,
        request: Request,
        creds: Credentials,
        request_id: str,
        route: RouteFn | None = None,
    ) -> Response | Awaitable[Response]:
        """A refused signature answered in the form of the service it was meant for, or the
        request once a check that had to read a body from disk passed."""
        if isinstance(verdict, Refusal):
            return self.answer_unrouted(request, creds, verdict, request_id)

        async def later() -> Response:
            refusal = await verdict  # type: ignore[misc]
            if refusal is not None:
                return self.answer_unrouted(request, creds, refusal, request_id)
            answer = self._route(request, creds, request_id, route)
            return answer if isinstance(answer, Response) else await answer

        return later()

    def _route(
        self, request: Request, creds: Credentials, request_id: str, route: RouteFn | None = None
    ) -> Response | Awaitable[Response]:
        try:
            decode_chunked(request)
            if inflate_before_routing(request, creds):
                inflate(request)
            target = (route or self.router.route)(request, creds)
        except ServiceError as error:
            return self.answer_unrouted(request, creds, error, request_id)
        except Exception:
            log.exception("routing failed")
            return self.answer_unrouted(request, creds, internal_failure(), request_id)
        return self.call(target, request, request_id, creds)

    def answer_unrouted(
        self, request: Request, creds: Credentials, error: ServiceError | Refusal, request_id: str
    ) -> Response:
        """An error for a request whose operation could not be told, in the protocol it looks like.

        The service named by the credential scope, if any, supplies the model (namespaces,
        error shapes); otherwise a bare model does. A refused signature is worded by it.
        """
        protocol = _guess_protocol(request)
        model = _bare_model(protocol)
        scoped = self.router.by_signing.get(creds.signing_name, []) if creds.signing_name else []
        if scoped:
            service = next((s for s in scoped if self.router.speaks(s, protocol)), None)
            if service is None:
                service = scoped[0]
                protocol = self.router.services[service]["protocol"]
            model = protocol_model(service, protocol)
        if isinstance(error, Refusal):
            error = error.error(model.name, protocol)
        return get_protocol(protocol).serialize_error(model, error, request_id)

    def too_large(self, request: Request) -> Response:
        """The answer to a body larger than any AWS operation takes, in the terms of the
        service the request is for (S3's EntityTooLarge), routed by its head alone."""
        creds = parse_credentials(request)
        request_id = ids.request_id()
        try:
            target = self.router.route(request, creds)
        except Exception:
            error = ServiceError("RequestEntityTooLarge", "Request body too large", 413)
            return self.answer_unrouted(request, creds, error, request_id)
        provider = self.runtime.load(target.service)
        error = (
            provider.too_large(request)
            if provider is not None
            else ServiceError("RequestEntityTooLarge", "Request body too large", 413)
        )
        model = protocol_model(target.service, target.protocol)
        return get_protocol(target.protocol).serialize_error(model, error, request_id)

    def answer_error(self, service: str, protocol: str, error: ServiceError, request_id: str) -> Response:
        """``error`` in ``service``'s own error form (for answers given before an operation is known)."""
        return get_protocol(protocol).serialize_error(protocol_model(service, protocol), error, request_id)

    def call(
        self, target: Target, request: Request, request_id: str, creds: Credentials | None = None
    ) -> Response | Awaitable[Response]:
        model = protocol_model(target.service, target.protocol)
        protocol = get_protocol(target.protocol)
        try:
            provider = self.runtime.load(target.service)
            if creds is not None and creds.malformed:
                raise provider.signature_error(creds) if provider is not None else signature_error(creds)
            if target.service not in KEEP_CONTENT_ENCODING:
                inflate(request)
            if target.operation is None:
                answer = provider.no_operation(request) if provider is not None else None
                if answer is not None:
                    return answer
                raise unknown_operation(target)
            op = model.operation(target.operation)
            if target.path_override is not None:
                request.path = target.path_override
            params = protocol.parse(op, request, target.labels)
            method = getattr(provider, snake_case(op.name), None) if provider is not None else None
            if method is None:
                raise not_implemented(target.service, op.name)
            if op.input is not None and (provider.validate_input or target.protocol in _JSON_BODIES):
                # A service that checks its own input still never meets a null list element.
                errors = validate(
                    params, op.input, nulls_only=not provider.validate_input, skip=provider.own_checks
                )
                if errors:
                    code = provider.validation_code or (
                        "ValidationError" if target.protocol == "query" else "ValidationException"
                    )
                    raise validation_error(errors, code)
            principal = self.runtime.credentials.lookup(target.access_key) if target.access_key else None
            ctx = RequestContext(
                service=target.service,
                operation=op.name,
                account=principal.account if principal else account_for(target.access_key),
                region=target.region,
                request_id=request_id,
                access_key=target.access_key,
                protocol=target.protocol,
                request=request,
            )
            provider.check_request(ctx)
            result = method(ctx, params)
            if asyncio.iscoroutine(result):
                return self._finish(result, target, op, ctx)
            return _answer(protocol.serialize(op, result or {}, request_id), ctx)
        except Exception as exc:
            return _error_answer(exc, target, model, request_id)

    async def _finish(
        self, pending: Coroutine[Any, Any, Any], target: Target, op: Operation, ctx: RequestContext
    ) -> Response:
        """Await a provider method that had to wait, then serialize its answer."""
        try:
            result = await pending
            return _answer(get_protocol(target.protocol).serialize(op, result or {}, ctx.request_id), ctx)
        except Exception as exc:
            return _error_answer(exc, target, protocol_model(target.service, target.protocol), ctx.request_id)


def _answer(response: Response, ctx: RequestContext) -> Response:
    """A provider may set another success status than the model's (S3's 206 for a range)."""
    status = ctx.extra.get("status")
    if status is not None:
        response.status = status
    return response


def _error_answer(exc: Exception, target: Target, model: ServiceModel, request_id: str) -> Response:
    """A provider's ServiceError in the protocol's form; anything else is logged as InternalFailure."""
    if not isinstance(exc, ServiceError):
        log.error("%s.%s failed", target.service, target.operation, exc_info=exc)
        exc = internal_failure()
    return get_protocol(target.protocol).serialize_error(model, exc, request_id)
