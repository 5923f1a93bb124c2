"""SNS's entry point beyond its API: the certificate notifications are signed with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudlet.gateway.entrypoints import EntryPoint
from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response
from cloudlet.services.sns.signing import CERT_PATH

if TYPE_CHECKING:
    from cloudlet.gateway.entrypoints import Front


def _certificate(front: Front, request: Request) -> Response:
    provider = front.runtime.load("sns")
    body = provider.signer.certificate()
    return Response(
        200, [("Content-Type", "application/x-pem-file"), ("Content-Length", str(len(body)))], body
    )


ENTRY_POINTS = (EntryPoint("sns-certificate", _certificate, path=CERT_PATH, methods=frozenset({"GET"})),)
