"""Request body decoding: ``Content-Encoding: gzip`` and ``aws-chunked`` (with trailers)."""

from __future__ import annotations

import zlib

from cloudlet.gateway.request import Request
from cloudlet.protocol.errors import ServiceError

MAX_DECOMPRESSED = 64 * 1024 * 1024


def _bad(message: str, code: str = "InvalidRequest") -> ServiceError:
    return ServiceError(code, message, 400)


def gunzip(data: bytes, limit: int = MAX_DECOMPRESSED) -> bytes:
    """Decompress a gzip body, refusing one that inflates past ``limit``."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as exc:
        raise _bad("The request body is not valid gzip data.", "SerializationException") from exc
    if len(out) > limit or d.unconsumed_tail:
        raise ServiceError("RequestEntityTooLarge", "The decompressed request body is too large.", 413)
    return out


def decode_aws_chunked(data: bytes) -> tuple[bytes, dict[str, str]]:
    """Decode an ``aws-chunked`` body: ``hex-size[;chunk-signature=…]\\r\\n data \\r\\n …``.

    Returns the payload and the trailing headers (e.g. ``x-amz-checksum-crc32``).
    """
    out = bytearray()
    pos = 0
    n = len(data)
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            raise _bad("Incomplete aws-chunked body: missing chunk header.", "IncompleteBody")
        header = data[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(header, 16)
        except ValueError as exc:
            raise _bad("Invalid aws-chunked chunk size.", "IncompleteBody") from exc
        pos = eol + 2
        if size == 0:
            break
        if pos + size > n:
            raise _bad("Incomplete aws-chunked body: chunk shorter than declared.", "IncompleteBody")
        out += data[pos : pos + size]
        pos += size
        if data[pos : pos + 2] == b"\r\n":
            pos += 2
    trailers: dict[str, str] = {}
    for line in data[pos:].split(b"\r\n"):
        if b":" in line:
            k, v = line.split(b":", 1)
            trailers[k.strip().decode("latin-1").lower()] = v.strip().decode("latin-1")
    return bytes(out), trailers


def is_aws_chunked(request: Request) -> bool:
    encoding = request.headers.get("content-encoding") or ""
    sha = request.headers.get("x-amz-content-sha256") or ""
    return "aws-chunked" in encoding or sha.startswith("STREAMING-")


def decode_chunked(request: Request) -> None:
    """Undo ``aws-chunked`` framing in place; trailers become headers."""
    if not is_aws_chunked(request):
        return
    payload, trailers = decode_aws_chunked(request.read_body())
    request.body, request.body_file = payload, None
    request.trailers = trailers
    encodings = [
        e.strip()
        for e in (request.headers.get("content-encoding") or "").split(",")
        if e.strip() and e.strip() != "aws-chunked"
    ]
    if encodings:
        request.headers.set("content-encoding", ",".join(encodings))
    else:
        request.headers.pop("content-encoding")
    for k, v in trailers.items():
        request.headers.set(k, v)


def inflate(request: Request) -> None:
    """Inflate a gzip request body (request compression of rpc-style services).

    Not for S3, which stores a gzip object as it was sent.
    """
    encoding = (request.headers.get("content-encoding") or "").strip().lower()
    if encoding == "gzip":
        request.body = gunzip(request.read_body())
        request.body_file = None
        request.headers.pop("content-encoding")
