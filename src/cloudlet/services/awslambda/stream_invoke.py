"""InvokeWithResponseStream, and ``stream_invocation``: an invocation whose answer is read as
the function streams it (response_stream.py), for this operation and function URLs.

The operation takes Invoke's checks (invoke.py: qualifier, 6 MB payload, runtime, JSON) and
its run path (``LambdaProvider.run``); a throttle still answers as an HTTP error. Once the
invocation is admitted the answer (200, ``X-Amz-Executed-Version``) begins and the event
stream carries a ``PayloadChunk`` per piece the function sends, as it sends it, then one
``InvokeComplete`` (``ErrorCode``/``ErrorDetails`` when it failed, ``LogResult`` for
``LogType: Tail``). A function that does not stream answers as one ``PayloadChunk``.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from cloudlet.services.awslambda.executor import tail
from cloudlet.services.awslambda.invoke import MAX_RESPONSE, decode_client_context, runnable
from cloudlet.services.awslambda.response_stream import ResponseStream
from cloudlet.services.awslambda.store import Doc
from cloudlet.services.base import RequestContext

if TYPE_CHECKING:
    from cloudlet.services.awslambda.names import FunctionRef
    from cloudlet.services.awslambda.provider import LambdaProvider


class ResponseStreaming:
    """InvokeWithResponseStream of LambdaProvider, and the streamed run it rests on."""

    async def invoke_with_response_stream(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        ref, config, alias, payload = self.invoked(ctx, params)
        if (params.get("InvocationType") or "RequestResponse") == "DryRun":
            return {"StatusCode": 204}
        runnable(config, payload, "InvokeWithResponseStream")
        client = decode_client_context(params.get("ClientContext"))
        stream = await self.stream_invocation(ref, config, alias, payload or b"{}", ctx.request_id, client)
        return {
            "StatusCode": 200,
            "ExecutedVersion": stream.version,
            "EventStream": _events(stream, params.get("LogType") == "Tail"),
        }

    async def stream_invocation(
        self: LambdaProvider,
        ref: FunctionRef,
        config: Doc,
        alias: str | None,
        payload: bytes,
        request_id: str,
        client_context: str | None = None,
    ) -> ResponseStream:
        """Start one invocation through ``run`` and give its answer as the function streams it.

        Returns once the invocation is admitted (raising what refused it: a throttle's
        ``ServiceError``); the function runs on in the background. The caller then reads
        ``stream.version`` (the version that runs), may ``await stream.started()`` (the
        Content-Type a streaming function named, e.g. ``application/vnd.awslambda.
        http-integration-response`` after ``HttpResponseStream.from``; None for an answer in
        one piece), takes the bytes with ``async for piece in stream`` as they come, and then
        finds ``stream.end``: ``error_code``/``error_details`` (None on success) and
        ``outcome`` (its log for ``tail``). A reader that stops early calls
        ``stream.detach()``. Bytes past 200 MB are dropped and the end says
        ``Function.ResponseSizeTooLarge``; an answer in one piece may be 6 MB as for Invoke.
        """
        stream = ResponseStream(MAX_RESPONSE)
        run = asyncio.ensure_future(
            self.run(ref, config, alias, payload, request_id, client_context, stream=stream)
        )
        stream.follow(run)
        try:
            await stream.admitted()
        except asyncio.CancelledError:  # the caller went away: nobody will read
            stream.detach()
            raise
        return stream


async def _events(stream: ResponseStream, log_tail: bool) -> AsyncIterator[dict[str, Any]]:
    """The event stream of the answer: a PayloadChunk per piece, then InvokeComplete."""
    try:
        async for piece in stream:
            yield {"PayloadChunk": {"Payload": piece}}
        end = stream.end
        assert end is not None
        complete: dict[str, Any] = {}
        if end.error_code is not None:
            complete["ErrorCode"] = end.error_code
            complete["ErrorDetails"] = end.error_details or ""
        if log_tail:
            complete["LogResult"] = base64.b64encode(tail(end.outcome)).decode()
        yield {"InvokeComplete": complete}
    finally:
        stream.detach()
