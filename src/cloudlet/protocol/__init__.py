"""Model-driven parsing and serialization for every AWS wire protocol Cloudlet speaks."""

from __future__ import annotations

from cloudlet.protocol.base import Protocol
from cloudlet.protocol.cbor_protocol import CborProtocol
from cloudlet.protocol.json_protocol import JsonProtocol
from cloudlet.protocol.query_protocol import QueryProtocol
from cloudlet.protocol.rest_protocol import RestJsonProtocol, RestXmlProtocol

PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (JsonProtocol(), QueryProtocol(), RestJsonProtocol(), RestXmlProtocol(), CborProtocol())
}


def get_protocol(name: str) -> Protocol:
    return PROTOCOLS[name]
