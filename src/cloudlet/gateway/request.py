"""The HTTP request as the gateway and the protocol parsers see it."""

from __future__ import annotations

from collections.abc import ItemsView
from dataclasses import dataclass, field
from functools import cached_property
from typing import IO, TYPE_CHECKING
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from cloudlet.gateway.body_stream import BodyStream


class Headers:
    """Case-insensitive headers; repeated headers are joined with ', '.

    ``raw`` keeps the headers as received; :meth:`set` and :meth:`pop` (the gateway
    decoding a body) change only the view that parsers read.
    """

    __slots__ = ("_d", "raw")

    def __init__(self, raw: list[tuple[str, str]]) -> None:
        self.raw = raw
        d: dict[str, str] = {}
        for k, v in raw:
            lk = k.lower()
            d[lk] = f"{d[lk]}, {v}" if lk in d else v
        self._d = d

    def get(self, key: str, default: str | None = None) -> str | None:
        return self._d.get(key.lower(), default)

    def __contains__(self, key: str) -> bool:
        return key.lower() in self._d

    def __getitem__(self, key: str) -> str:
        return self._d[key.lower()]

    def items(self) -> ItemsView[str, str]:
        return self._d.items()

    def set(self, key: str, value: str) -> None:
        self._d[key.lower()] = value

    def pop(self, key: str, default: str | None = None) -> str | None:
        return self._d.pop(key.lower(), default)


@dataclass
class Request:
    """One HTTP request, body already decoded (gzip, aws-chunked) by the gateway."""

    method: str
    path: str  # raw, still percent-encoded
    query_string: str
    headers: Headers
    body: bytes = b""
    # Large bodies are spooled to a file instead of ``body`` (streaming payloads).
    body_file: IO[bytes] | None = None
    scheme: str = "http"
    client: str = ""
    trailers: dict[str, str] = field(default_factory=dict)
    # A body read while it arrives, instead of ``body`` (servers with ``stream_bodies``).
    stream: BodyStream | None = None

    @cached_property
    def query_list(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    @cached_property
    def query(self) -> dict[str, str]:
        """First value of each query parameter."""
        q: dict[str, str] = {}
        for k, v in self.query_list:
            q.setdefault(k, v)
        return q

    @cached_property
    def query_multi(self) -> dict[str, list[str]]:
        q: dict[str, list[str]] = {}
        for k, v in self.query_list:
            q.setdefault(k, []).append(v)
        return q

    @property
    def host(self) -> str:
        return self.headers.get("host", "") or ""

    @property
    def content_type(self) -> str:
        return (self.headers.get("content-type") or "").split(";")[0].strip().lower()

    def read_body(self) -> bytes:
        """The whole body as bytes (reads a spooled body back, leaving it rewound)."""
        if self.body_file is not None:
            self.body_file.seek(0)
            data = self.body_file.read()
            self.body_file.seek(0)
            return data
        return self.body
