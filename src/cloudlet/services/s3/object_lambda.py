"""S3 Object Lambda: GetObject through an Object Lambda access point runs the function its
configuration names for ``GetObject``, synchronously, with the event the S3 user guide documents
("Event context format and usage"), and answers what the function sent with
WriteGetObjectResponse, matched by its ``RequestRoute`` and ``RequestToken``.

The event's ``inputS3Url`` is a SigV4 presigned GET of the object through the supporting access
point's alias, on Cloudlet's own address, signed with the caller's access key (so it works
wherever the caller's signature would), expiring on the service clock.

Failures answer as the S3 API reference's "List of Amazon S3 Object Lambda error codes" says: a
function error ``LambdaRuntimeError``, a function that returns without calling
WriteGetObjectResponse ``LambdaResponseNotReceived`` (its message as AWS answers it, reported by
users), no answer within 60 seconds (real time, like the function) ``LambdaTimeout``, a missing
function ``LambdaNotFound``, a throttled one ``SlowDown``, a WriteGetObjectResponse that fails its
checks ``LambdaInvalidResponse``. Other messages are the codes' descriptions (unverified).

A ``Range`` or ``partNumber`` is refused (501 ``NotImplemented``) unless the access point's
AllowedFeatures name it; allowed, it reaches the function in ``userRequest`` (not in
``inputS3Url``), which applies it. HeadObject, ListObjects and ListObjectsV2 without a
transformation of their own read through the supporting access point, as on AWS; with one they
answer ``NotImplemented``, and GetObject without one ``NoTransformationDefined``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote, unquote, urlsplit

import orjson

from cloudlet.core import ids
from cloudlet.gateway.signatures import PRESIGN_QUERY, signing_key
from cloudlet.protocol.errors import ServiceError, not_implemented
from cloudlet.protocol.model import service_model
from cloudlet.services.awslambda.interface import function_invoker
from cloudlet.services.s3.access_points import object_lambda_point, supporting_point, transformation_for

if TYPE_CHECKING:
    from cloudlet.core.clock import Clock
    from cloudlet.runtime import Runtime
    from cloudlet.services.base import RequestContext

log = logging.getLogger("cloudlet.s3")

RESPONSE_SECONDS = 60.0  # "failed to complete its call to WriteGetObjectResponse within 60 seconds"
INPUT_URL_SECONDS = 3600  # how long inputS3Url stays valid (unverified)
PROTOCOL_VERSION = "1.00"
# Status codes WriteGetObjectResponse takes (its StatusCode documentation).
_STATUSES = frozenset({200, 206, 304, 400, 401, 403, 404, 405, 409, 411, 412, 416, 500, 503})
_ERROR_CODE = re.compile(r"^[A-Z][a-zA-Z]+$")  # the ErrorCode documentation's regex
# WriteGetObjectResponse members that are not GetObject's answer.
_CONTROL = frozenset(
    {"RequestRoute", "RequestToken", "StatusCode", "ErrorCode", "ErrorMessage", "ContentLength"}
)
# Query parameters and headers that carry a request's authorization (left out of userRequest).
_AUTH_QUERY = PRESIGN_QUERY | {"awsaccesskeyid", "signature", "expires"}
_AUTH_HEADERS = frozenset({"authorization", "x-amz-security-token"})


def _error(code: str, message: str, status: int) -> ServiceError:
    return ServiceError(code, message, status)


def lambda_not_found() -> ServiceError:
    return _error("LambdaNotFound", "The AWS Lambda function was not found.", 404)


def lambda_invocation_failed(detail: str) -> ServiceError:
    return _error("LambdaInvocationFailed", f"Lambda function invocation failed. {detail}".strip(), 400)


def lambda_runtime_error() -> ServiceError:
    return _error("LambdaRuntimeError", "The Lambda function failed during execution.", 500)


def lambda_response_not_received() -> ServiceError:
    return _error(
        "LambdaResponseNotReceived",
        "The Lambda exited without successfully calling WriteGetObjectResponse.",
        500,
    )


def lambda_timeout() -> ServiceError:
    return _error("LambdaTimeout", "The Lambda function did not respond in the allowed time.", 500)


def slow_down() -> ServiceError:
    return _error("SlowDown", "Reduce your request rate for operations involving AWS Lambda.", 503)


def no_transformation() -> ServiceError:
    return _error(
        "NoTransformationDefined", "No transformation found for this Object Lambda Access Point.", 404
    )


def invalid_token() -> ServiceError:
    return _error("ValidationError", "The request token is not valid or has expired.", 400)  # unverified


@dataclass
class _Waiting:
    """A GetObject waiting for its function's WriteGetObjectResponse (or its error)."""

    route: str
    future: asyncio.Future[dict[str, Any] | ServiceError]


class ObjectLambda:
    """GetObject through Object Lambda access points, and WriteGetObjectResponse (S3Provider)."""

    runtime: Runtime
    clock: Clock

    @property
    def _waiting(self) -> dict[str, _Waiting]:
        """GetObjects waiting for WriteGetObjectResponse, by request token (in memory: a restart
        ends the requests that wait)."""
        return self.__dict__.setdefault("_object_lambda_waiting", {})  # type: ignore[no-any-return]

    def head_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # S3Provider
        raise NotImplementedError

    # ---- GetObject / HeadObject through an Object Lambda access point ---------------------------

    async def object_lambda_get(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        point = object_lambda_point(self.runtime, params["Bucket"])
        function = transformation_for(point, "GetObject")
        if function is None:
            raise no_transformation()
        _check_features(point, "GetObject", params)
        supporting = supporting_point(self.runtime, point)
        route, token = f"io-{ids.token(4)}", ids.token(32)
        event = {
            "xAmzRequestId": ctx.request_id,
            "getObjectContext": {
                "inputS3Url": self._input_url(ctx, supporting, params["Key"], params.get("VersionId")),
                "outputRoute": route,
                "outputToken": token,
            },
            "configuration": {
                "accessPointArn": point["Arn"],
                "supportingAccessPointArn": supporting["Arn"],
                "payload": function.get("FunctionPayload") or "",
            },
            "userRequest": _user_request(ctx),
            "userIdentity": self._identity(ctx),
            "protocolVersion": PROTOCOL_VERSION,
        }
        loop = asyncio.get_running_loop()
        waiting = _Waiting(route, loop.create_future())
        self._waiting[token] = waiting
        try:
            written = await self._transform(_function_arn(function["FunctionArn"], point), event, waiting)
        finally:
            self._waiting.pop(token, None)
        return _answer(ctx, written)

    def object_lambda_head(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        point = object_lambda_point(self.runtime, params["Bucket"])
        _check_features(point, "HeadObject", params)
        if transformation_for(point, "HeadObject") is not None:
            raise not_implemented(
                "s3", "HeadObject through an Object Lambda access point with a HeadObject transformation"
            )
        supporting = supporting_point(self.runtime, point)
        return self.head_object(ctx, {**params, "Bucket": supporting["Arn"]})

    async def _transform(self, function_arn: str, event: dict[str, Any], waiting: _Waiting) -> dict[str, Any]:
        """What the function wrote, or the Object Lambda error for what it did instead."""
        invoker = function_invoker(self.runtime)
        if invoker is None:
            raise lambda_not_found()
        run = asyncio.ensure_future(invoker.invoke_function(function_arn, orjson.dumps(event), ids.uuid4()))
        run.add_done_callback(_settled)
        await asyncio.wait(
            {waiting.future, run}, timeout=RESPONSE_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        if waiting.future.done():
            written = waiting.future.result()
            if isinstance(written, ServiceError):
                raise written
            return written
        if not run.done():
            raise lambda_timeout()
        failure = run.exception()
        if isinstance(failure, ServiceError):
            if failure.code == "ResourceNotFoundException":
                raise lambda_not_found()
            if failure.code == "TooManyRequestsException":
                raise slow_down()
            raise lambda_invocation_failed(failure.message)
        if failure is not None:
            log.error("Object Lambda function %s could not run", function_arn, exc_info=failure)
            raise lambda_invocation_failed("")
        _, function_error = run.result()
        raise lambda_runtime_error() if function_error else lambda_response_not_received()

    def _input_url(
        self, ctx: RequestContext, supporting: dict[str, Any], key: str, version_id: str | None
    ) -> str:
        """A presigned GET of the object through the supporting access point's alias."""
        endpoint = urlsplit(self.runtime.config.endpoint)
        path = f"/{quote(supporting['Alias'], safe='')}/{quote(key, safe='/~')}"
        query = [("versionId", version_id)] if version_id else []
        secret = self.runtime.credentials.secret(ctx.access_key) or "unknown"  # unknown keys go unchecked
        token = _session_token(ctx)
        return presigned_get(
            endpoint.scheme,
            endpoint.netloc,
            path,
            query,
            (ctx.access_key or "anonymous", secret, token),
            supporting["Region"],
            self.clock.now(),
            INPUT_URL_SECONDS,
        )

    def _identity(self, ctx: RequestContext) -> dict[str, Any]:
        """The caller, as ``userIdentity`` describes it (a key Cloudlet never issued is the
        account's root: unverified)."""
        principal = self.runtime.credentials.lookup(ctx.access_key) if ctx.access_key else None
        if principal is None:
            return {
                "type": "Root",
                "principalId": ctx.account,
                "arn": f"arn:{ctx.partition}:iam::{ctx.account}:root",
                "accountId": ctx.account,
                "accessKeyId": ctx.access_key,
            }
        kind = "AssumedRole" if principal.is_session else "IAMUser"
        if ":federated-user/" in principal.arn:
            kind = "FederatedUser"
        return {
            "type": kind,
            "principalId": principal.user_id,
            "arn": principal.arn,
            "accountId": principal.account,
            "accessKeyId": principal.access_key,
        }

    # ---- WriteGetObjectResponse ---------------------------------------------------------------

    async def write_get_object_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        waiting = self._waiting.get(params.get("RequestToken") or "")
        if waiting is None or waiting.route != params.get("RequestRoute") or waiting.future.done():
            raise invalid_token()
        problem = _check_written(params)
        if problem is not None:
            waiting.future.set_result(_error("LambdaInvalidResponse", problem, 400))
            raise _error("ValidationError", problem, 400)
        body = params.get("Body") or b""
        if not isinstance(body, bytes | bytearray | memoryview):
            body = await asyncio.to_thread(_read, body)
        if waiting.future.done():  # the GetObject ended while the body was read
            raise invalid_token()
        waiting.future.set_result({**params, "Body": bytes(body)})
        return {}


def _settled(run: asyncio.Future[Any]) -> None:
    """Retrieve an invocation's outcome once nobody waits for it any more."""
    if not run.cancelled():
        run.exception()


def _read(source: BinaryIO) -> bytes:
    source.seek(0)
    return source.read()


def _check_features(point: dict[str, Any], action: str, params: dict[str, Any]) -> None:
    """A Range or partNumber needs its AllowedFeatures entry ("Working with Range and partNumber
    headers": 501 otherwise; the message is S3's NotImplemented description, unverified here)."""
    allowed = point["Configuration"].get("AllowedFeatures") or []
    if (params.get("Range") and f"{action}-Range" not in allowed) or (
        params.get("PartNumber") is not None and f"{action}-PartNumber" not in allowed
    ):
        raise ServiceError(
            "NotImplemented", "A header you provided implies functionality that is not implemented", 501
        )


def _function_arn(given: str, point: dict[str, Any]) -> str:
    """A function ARN from what the configuration names (an ARN, or a bare or qualified name in
    the access point's account and region)."""
    if given.startswith("arn:"):
        return given
    prefix = f"arn:aws:lambda:{point['Region']}:{point['Account']}:function:"
    return prefix + given.split("function:", 1)[-1]


def _check_written(params: dict[str, Any]) -> str | None:
    """Why a WriteGetObjectResponse is not one S3 takes (messages unverified), or None."""
    status = params.get("StatusCode")
    if status is not None and status not in _STATUSES:
        return f"Invalid status code: {status}"
    code = params.get("ErrorCode")
    if code is not None and not _ERROR_CODE.match(code):
        return f"ErrorCode must match the regular expression ^[A-Z][a-zA-Z]+$: {code}"
    if (status or 200) < 300 and (code is not None or params.get("ErrorMessage") is not None):
        return "ErrorCode and ErrorMessage cannot be used with a successful StatusCode"
    return None


def _answer(ctx: RequestContext, written: dict[str, Any]) -> dict[str, Any]:
    """GetObject's answer from what the function wrote: its status, headers and body, or the
    error it chose (without an ErrorCode, the status stands in for it: unverified)."""
    status = written.get("StatusCode") or 200
    if status >= 400:
        raise ServiceError(written.get("ErrorCode") or str(status), written.get("ErrorMessage") or "", status)
    members = service_model("s3").operation("GetObject").output.members  # type: ignore[union-attr]
    out = {k: v for k, v in written.items() if k in members and k not in _CONTROL and v is not None}
    out["Body"] = written["Body"]
    if status != 200:
        ctx.extra["status"] = status
    return out


def _user_request(ctx: RequestContext) -> dict[str, Any]:
    """The caller's request: its decoded URL and headers (original case, repeats joined with
    commas), without what authorizes it."""
    request = ctx.request
    if request is None:
        return {"url": "", "headers": {}}
    query = "&".join(f"{k}={v}" if v else k for k, v in request.query_list if k.lower() not in _AUTH_QUERY)
    url = f"{request.scheme}://{request.host}{unquote(request.path)}" + (f"?{query}" if query else "")
    headers: dict[str, str] = {}
    for name, value in request.headers.raw:
        if name.lower() in _AUTH_HEADERS:
            continue
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return {"url": url, "headers": headers}


def _session_token(ctx: RequestContext) -> str | None:
    request = ctx.request
    if request is None:
        return None
    return request.headers.get("x-amz-security-token") or request.query.get("X-Amz-Security-Token")


def presigned_get(
    scheme: str,
    host: str,
    path: str,
    query: list[tuple[str, str]],
    credentials: tuple[str, str, str | None],
    region: str,
    now: float,
    expires: int,
) -> str:
    """A SigV4 presigned S3 GET URL (``path`` already percent-encoded), signed at ``now``."""
    access_key, secret, token = credentials
    moment = datetime.fromtimestamp(now, UTC)
    date, stamp = moment.strftime("%Y%m%d"), moment.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{date}/{region}/s3/aws4_request"
    params = [
        *query,
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", f"{access_key}/{scope}"),
        ("X-Amz-Date", stamp),
        ("X-Amz-Expires", str(expires)),
        ("X-Amz-SignedHeaders", "host"),
    ]
    if token:
        params.append(("X-Amz-Security-Token", token))
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params))
    canonical = "\n".join(("GET", path, canonical_query, f"host:{host}", "", "host", "UNSIGNED-PAYLOAD"))
    to_sign = "\n".join(("AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()))
    signature = hmac.new(
        signing_key(secret, date, region, "s3"), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    return f"{scheme}://{host}{path}?{canonical_query}&X-Amz-Signature={signature}"
