"""Request body decoding: ``Content-Encoding: gzip`` and ``aws-chunked`` (with trailers)."""

from __future__ import annotations

import io
import re
import zlib
from typing import IO

from cloudlet import spool
from cloudlet.gateway.request import Request
from cloudlet.protocol.errors import ServiceError

MAX_DECOMPRESSED = 64 * 1024 * 1024
_MAX_LINE = 64 * 1024  # a chunk header or trailer line longer than this is not aws-chunked
_COPY = 256 * 1024
_HEX_RE = re.compile(rb"[0-9a-fA-F]{1,16}")


def _bad(message: str, code: str = "InvalidRequest") -> ServiceError:
    return ServiceError(code, message, 400)


def _incomplete(message: str) -> ServiceError:
    return _bad(message, "IncompleteBody")


def gunzip(data: bytes, limit: int = MAX_DECOMPRESSED) -> bytes:
    """Decompress a gzip body, refusing one that inflates past ``limit``."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as exc:
        raise _bad("The request body is not valid gzip data.", "SerializationException") from exc
    if len(out) > limit or d.unconsumed_tail:
        raise ServiceError("RequestEntityTooLarge", "The decompressed request body is too large.", 413)
    if not d.eof:
        raise _bad("The request body is not valid gzip data.", "SerializationException")
    return out


def _chunk_size(line: bytes) -> int:
    """The size in a chunk header line ``hex-size[;chunk-signature=…]\\r\\n``."""
    if not line.endswith(b"\r\n"):
        raise _incomplete("Incomplete aws-chunked body: missing chunk header.")
    text = line[:-2].split(b";", 1)[0].strip()
    if not _HEX_RE.fullmatch(text):
        raise _incomplete("Invalid aws-chunked chunk size.")
    return int(text, 16)


def _copy(source: IO[bytes], sink: IO[bytes], size: int) -> None:
    while size > 0:
        block = source.read(min(size, _COPY))
        if not block:
            raise _incomplete("Incomplete aws-chunked body: chunk shorter than declared.")
        sink.write(block)
        size -= len(block)


def _read_trailers(source: IO[bytes]) -> dict[str, str]:
    trailers: dict[str, str] = {}
    while line := source.readline(_MAX_LINE):
        line = line.strip()
        if not line:
            continue
        if b":" not in line:
            raise _incomplete("Malformed trailing header in aws-chunked body.")
        key, value = line.split(b":", 1)
        trailers[key.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
    return trailers


def decode_aws_chunked_stream(source: IO[bytes], sink: IO[bytes]) -> dict[str, str]:
    """Copy the payload of an ``aws-chunked`` body from ``source`` to ``sink``.

    Chunks are ``hex-size[;chunk-signature=…]\\r\\n data \\r\\n``, ending with a zero-size
    chunk and the trailing headers (e.g. ``x-amz-checksum-crc32``), which are returned.
    """
    while True:
        size = _chunk_size(source.readline(_MAX_LINE))
        if size == 0:
            return _read_trailers(source)
        _copy(source, sink, size)
        if source.read(2) != b"\r\n":
            raise _incomplete("Incomplete aws-chunked body: chunk not followed by CRLF.")


def is_aws_chunked(request: Request) -> bool:
    encoding = request.headers.get("content-encoding") or ""
    sha = request.headers.get("x-amz-content-sha256") or ""
    return "aws-chunked" in encoding.lower() or sha.startswith("STREAMING-")


def _source(request: Request) -> IO[bytes]:
    if request.body_file is not None:
        request.body_file.seek(0)
        return request.body_file
    return io.BytesIO(request.body)


def decode_chunked(request: Request) -> None:
    """Undo ``aws-chunked`` framing in place; trailers become headers.

    Large bodies stay on disk: past 8 MiB the payload goes to a new spool file.
    """
    if not is_aws_chunked(request):
        return
    sink = spool.Body()
    try:
        trailers = decode_aws_chunked_stream(_source(request), sink)  # type: ignore[arg-type]
    except BaseException:
        sink.close()
        raise
    _replace_body(request, sink)
    request.trailers = trailers
    _check_decoded_length(request)
    _drop_encoding(request, "aws-chunked")
    for key, value in trailers.items():
        request.headers.set(key, value)


def _replace_body(request: Request, sink: spool.Body) -> None:
    size = sink.size
    if request.body_file is not None:
        request.body_file.close()
    body = sink.value()
    if isinstance(body, bytes):
        request.body, request.body_file = body, None
    else:
        request.body, request.body_file = b"", body
    request.headers.set("content-length", str(size))


def _check_decoded_length(request: Request) -> None:
    declared = request.headers.get("x-amz-decoded-content-length")
    if declared is None:
        return
    actual = int(request.headers.get("content-length") or 0)
    if not declared.strip().isdigit() or int(declared) != actual:
        raise _incomplete(
            "You did not provide the number of bytes specified by the Content-Length HTTP header."
        )


def _drop_encoding(request: Request, name: str) -> None:
    raw = request.headers.get("content-encoding") or ""
    encodings = [e.strip() for e in raw.split(",") if e.strip() and e.strip().lower() != name]
    if encodings:
        request.headers.set("content-encoding", ",".join(encodings))
    else:
        request.headers.pop("content-encoding")


def inflate(request: Request) -> None:
    """Inflate a gzip request body (request compression of rpc-style services).

    Not for S3, which stores a gzip object as it was sent.
    """
    encoding = (request.headers.get("content-encoding") or "").strip().lower()
    if encoding == "gzip":
        request.body = gunzip(request.read_body())
        if request.body_file is not None:
            request.body_file.close()
        request.body_file = None
        request.headers.pop("content-encoding")
        request.headers.set("content-length", str(len(request.body)))
