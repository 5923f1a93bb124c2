"""SQS's query API at its edges: what AWS answers before any operation runs.

The operations themselves are the provider's, whatever the protocol; their query form is
parsed and answered from the legacy query model (``models/``, see ``protocol_model``). What
AWS answers here (an unknown action, no action at all, service actions on a queue URL) comes
from published tests run against AWS with signed GETs to a queue URL; the recordings in
aws-reference hold none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudlet.core import ids
from cloudlet.protocol.common import Response
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.query_protocol import form_params

if TYPE_CHECKING:
    from cloudlet.gateway.request import Request
    from cloudlet.services.base import RequestContext

# Actions of the service endpoint that a queue URL refuses; GetQueueUrl is taken there.
# unverified: the message move task actions on a queue URL (taken, as they name no queue).
SERVICE_ACTIONS = frozenset({"CreateQueue", "ListQueues"})


def invalid_action(action: str) -> ServiceError:
    return ServiceError("InvalidAction", f"The action {action} is not valid for this endpoint.", 400)


def no_operation(request: Request) -> Response | None:
    """The answer to a query request naming no SQS operation (None for the JSON protocol's).

    An unknown ``Action`` is ``InvalidAction``; none at all (a GET of a queue URL) is a 404
    whose XML document is rooted at ``UnknownOperationException``, as AWS answers it.
    """
    if request.headers.get("x-amz-target"):
        return None
    action = form_params(request).get("Action")
    if action:
        raise invalid_action(action)
    if request.method != "GET" or len([p for p in request.path.split("/") if p]) < 2:
        # Not a GET of a queue URL: the gateway's own answer (unverified: what AWS answers these).
        return None
    # unverified: the document beyond its root element.
    return Response(
        404,
        [("Content-Type", "text/xml"), ("x-amzn-RequestId", ids.request_id())],
        b"<UnknownOperationException/>",
    )


def check_endpoint(ctx: RequestContext) -> None:
    """Refuse a service action sent to a queue URL over the query API, as AWS does."""
    if ctx.protocol != "query" or ctx.operation not in SERVICE_ACTIONS or ctx.request is None:
        return
    if ctx.request.path.split("?", 1)[0].strip("/"):
        raise invalid_action(ctx.operation)
