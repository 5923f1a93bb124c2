"""What a function URL answers: Lambda's own errors, a BUFFERED URL's answer mapped from the
function's result (AWS's "Response payload format"), and a RESPONSE_STREAM URL's answer sent as
the function streams it.

Answers not found in recordings or AWS's guides are marked ``# unverified``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.protocol.common import BodyCut, Response

if TYPE_CHECKING:
    from cloudlet.services.awslambda.response_stream import ResponseStream

Headers = list[tuple[str, str]]

MAX_RESULT = 6291556  # bytes: invoke.MAX_RESPONSE
FORBIDDEN = (
    "Forbidden. For troubleshooting Function URL authorization issues, see: "
    "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
)  # recorded (a NONE URL without permission, an alias URL whose alias was deleted)
INTERNAL = b"Internal Server Error"  # a function error, as AWS answers it (502)
# What ``awslambda.HttpResponseStream.from`` streams under: a JSON prelude (statusCode,
# headers, cookies), 8 null bytes, then the body.
HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"
PRELUDE_END = b"\0" * 8
MAX_PRELUDE = 64 * 1024  # bytes before PRELUDE_END; past it the answer is a 502 (unverified)
STREAM_TYPE = "application/octet-stream"  # what a stream that names no type goes out as (unverified)

TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP field name or method
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # what no header value may hold (tab may)
# What the HTTP layer frames itself: a function's own values would contradict it.
_FRAMING = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer"}
)
_NO_BODY = frozenset({204, 304})  # statuses the server sends no body with


# ---- Lambda's own answers -----------------------------------------------------------------------


class Refused(Exception):
    """A request answered without running the function."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def error(status: int, code: str, message: str | None, request_id: str) -> Response:
    """An answer Lambda gives itself: ``{"Message": ...}`` and ``x-amzn-ErrorType`` (recorded
    for 403s; other statuses take the same form: unverified)."""
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), *id_header(request_id)]
    return Response(status, headers, orjson.dumps({"Message": message}))


def failed(extra: Headers) -> Response:
    """The answer to a function error: 502 ``Internal Server Error`` (recorded)."""
    return Response(502, [("Content-Type", "application/json"), *extra], INTERNAL)  # unverified: the type


def id_header(request_id: str) -> Headers:
    return [("x-amzn-RequestId", request_id)]


def safe(value: str) -> str:
    """Request data echoed in a header, with any control character made a space."""
    return _CONTROL.sub(" ", value)


# ---- BUFFERED: the result, whole ------------------------------------------------------------------


class MalformedResult(Exception):
    """A result that claims the structured form but cannot be answered as HTTP."""


def buffered_answer(payload: bytes) -> tuple[int, Headers, bytes]:
    """A BUFFERED URL's answer to a result (AWS's "Response payload format"): a JSON object
    with ``statusCode`` is the structured form; anything else is the body, status 200,
    ``application/json`` (a JSON string as its text, other values as compact JSON: recorded)."""
    try:
        result = orjson.loads(payload)
    except orjson.JSONDecodeError:  # a provided runtime may answer anything: unverified
        return 200, [("Content-Type", "application/json")], payload
    if isinstance(result, dict) and "statusCode" in result:
        return _structured(result)
    body = result.encode() if isinstance(result, str) else orjson.dumps(result)
    return 200, [("Content-Type", "application/json")], body


def _structured(result: dict[str, Any]) -> tuple[int, Headers, bytes]:
    status, headers = _head(result, "application/json")  # recorded: the default type
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded") is True:
        if not isinstance(body, str):
            raise MalformedResult("body")
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResult("base64 body") from None
    else:
        data = body.encode() if isinstance(body, str) else orjson.dumps(body)  # unverified for non-strings
    return status, headers, data


def _head(result: dict[str, Any], default_type: str) -> tuple[int, Headers]:
    """Status and headers of a structured result or a stream's prelude: ``statusCode``,
    ``headers`` (framing headers dropped), ``cookies`` as ``Set-Cookie``."""
    status = _status(result.get("statusCode"))
    headers: Headers = []
    given = result.get("headers") or {}
    if not isinstance(given, dict):
        raise MalformedResult("headers")
    for name, value in given.items():
        if not isinstance(name, str) or not TOKEN.match(name):
            raise MalformedResult("header name")
        if name.lower() in _FRAMING:
            continue
        headers.append((name, _header_value(value)))
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedResult("cookies")
    headers.extend(("Set-Cookie", _header_value(cookie)) for cookie in cookies if cookie is not None)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.insert(0, ("Content-Type", default_type))
    return status, headers


def _status(value: Any) -> int:
    """``statusCode`` as a number or a numeric string (recorded: ``"418"``)."""
    if isinstance(value, bool):
        raise MalformedResult("statusCode")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 200 <= value <= 599:  # unverified: 1xx
        raise MalformedResult("statusCode")
    return value


def _header_value(value: Any) -> str:
    """A header value a function gave, refused when it holds a line break or other control
    character (so nothing it returns can add a header line)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        raise MalformedResult("header value")
    if _CONTROL.search(text):
        raise MalformedResult("header value")
    return text


# ---- RESPONSE_STREAM: the result as it streams ----------------------------------------------------


async def streamed_answer(stream: ResponseStream, extra: Headers, head_only: bool) -> Response:
    """A RESPONSE_STREAM URL's answer, its body sent as the function streams it.

    - ``HttpResponseStream`` (type ``HTTP_INTEGRATION``): status, headers and cookies from the
      prelude (``Content-Type`` ``application/octet-stream`` unless given: unverified), the
      body what follows the 8 null bytes;
    - any other stream: 200 under the Content-Type the function set (Node.js's default is
      ``application/octet-stream``);
    - an answer in one piece (a function that does not stream): 200, that piece as it is
      (recorded: a buffered handler's JSON, not its ``statusCode``), octet-stream (unverified).

    The head goes out with the first byte of the body (or the stream's end), so a function
    that fails before it sends one, or sends a prelude that cannot be answered, gets the 502 of
    a BUFFERED URL (unverified for streams). A failure after that (thrown, timed out, too
    large) cuts the answer: the connection closes before the chunked body's end (unverified:
    AWS ends it the same way, as far as its guides tell)."""
    pieces = aiter(stream)
    try:
        kind = await stream.started()
        if kind is None:
            whole = b"".join([piece async for piece in pieces])
            if _failed(stream):
                return failed(extra)
            return Response(200, [("Content-Type", STREAM_TYPE), *extra], whole)
        if kind.split(";", 1)[0].strip().lower() == HTTP_INTEGRATION:
            try:
                status, headers, first = await _prelude(pieces)
            except MalformedResult:
                stream.detach()
                return failed(extra)
        else:
            status, headers, first = 200, [("Content-Type", safe(kind))], b""
        if not first:
            first = await anext(pieces, b"")
        if not first and _failed(stream):
            return failed(extra)
    except BaseException:  # the client went away meanwhile, or a bug of ours
        stream.detach()
        raise
    if head_only or status in _NO_BODY:  # the server sends no body: nothing will read it
        stream.detach()
        return Response(status, headers + extra, _nothing())
    return Response(status, headers + extra, _body(stream, pieces, first))


def _failed(stream: ResponseStream) -> bool:
    return stream.end is not None and stream.end.error_code is not None


async def _prelude(pieces: AsyncIterator[bytes]) -> tuple[int, Headers, bytes]:
    """Status and headers from the prelude, and the bytes that came after it."""
    buffer = bytearray()
    async for piece in pieces:
        buffer += piece
        at = buffer.find(PRELUDE_END)
        if at >= 0:
            try:
                prelude = orjson.loads(buffer[:at])
            except orjson.JSONDecodeError:
                raise MalformedResult("prelude") from None
            if not isinstance(prelude, dict):
                raise MalformedResult("prelude")
            if prelude.get("statusCode") is None:
                prelude["statusCode"] = 200  # unverified: a prelude without one
            status, headers = _head(prelude, STREAM_TYPE)
            return status, headers, bytes(buffer[at + len(PRELUDE_END) :])
        if len(buffer) > MAX_PRELUDE:
            raise MalformedResult("prelude too long")
    raise MalformedResult("no prelude")  # the stream ended (or failed) before its prelude did


async def _body(stream: ResponseStream, pieces: AsyncIterator[bytes], first: bytes) -> AsyncIterator[bytes]:
    """The body as it comes; cut (:class:`BodyCut`) when the function fails meanwhile."""
    try:
        if first:
            yield first
        async for piece in pieces:
            yield piece
        if _failed(stream):
            raise BodyCut(stream.end.error_code if stream.end else "")
    finally:
        stream.detach()  # the client went away (or all was read: then it changes nothing)


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield  # an async generator that yields nothing
