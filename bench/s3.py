"""S3 workloads over path-style REST requests (`PUT /bucket/key`), sent raw.

`s3_put_1k` measures PutObject of distinct 1 KiB objects, `s3_get_1k` GetObject of 1,000 existing ones;
`s3_put_1k_sat` and `s3_get_1k_sat` run the same steps from several client processes at once
(saturate.py). `s3_put_100m` and `s3_get_100m` move 100 MiB objects over one connection (MB/s);
`s3_multipart_2g` uploads a 2 GiB object in 128 parts of 16 MiB and samples the server's resident
memory meanwhile. Every workload creates its own bucket. Requests carry a fake SigV4 header with
`x-amz-content-sha256: UNSIGNED-PAYLOAD` (what SDKs send over TLS; no server here checks signatures).
Large bodies are written from one pre-built buffer and read into a reusable one, so the client costs
little per byte.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable

from procs import tree_rss_mb
from saturate import Client, sat_figures, saturate, share
from workloads import (
    FAKE_KEY_ID,
    REGION,
    Figures,
    KeepAliveConnection,
    Target,
    loop_figures,
    measured_loop,
)

SMALL = 1024
SETUP_OBJECTS = 1_000  # objects written before s3_get_1k
LARGE = 100 * 1024 * 1024
LARGE_ROUNDS = 3  # 100 MiB transfers per s3_put_100m / s3_get_100m run
PART = 16 * 1024 * 1024
PARTS = 128  # 128 x 16 MiB = 2 GiB
RSS_SAMPLE_S = 0.05
READ_CHUNK = 1024 * 1024
TRANSFER_TIMEOUT_S = 120.0
UPLOAD_ID_RE = re.compile(rb"<UploadId>([^<]+)</UploadId>")

NETWORK_ERRORS = (OSError, http.client.HTTPException)


class S3Error(RuntimeError):
    """An S3 call that a workload needs for its setup or checks was not answered as expected."""


def s3_head(
    target: Target, method: str, path: str, length: int | None = 0, extra: tuple[str, ...] = ()
) -> bytes:
    """The head of one path-style request (the body, if any, is written after it)."""
    scope = f"{FAKE_KEY_ID}/20260101/{REGION}/s3/aws4_request"
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {target.host}:{target.port}",
        *([f"Content-Length: {length}"] if length is not None else []),
        *extra,
        "x-amz-content-sha256: UNSIGNED-PAYLOAD",
        "X-Amz-Date: 20260101T000000Z",
        f"Authorization: AWS4-HMAC-SHA256 Credential={scope}, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0000",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class S3Client:
    """Raw S3 calls over one keep-alive connection."""

    def __init__(self, target: Target, timeout: float = TRANSFER_TIMEOUT_S) -> None:
        self.target = target
        self.conn = KeepAliveConnection(target, timeout)
        self.buffer = bytearray(READ_CHUNK)

    def exchange(self, payload: bytes, body: memoryview | bytes | None = None) -> tuple[int, bytes]:
        """Send a request head (and a body), read the whole answer; (0, b"") when the connection failed."""
        try:
            self.conn.send(payload)
            if body is not None:
                self.conn.send(body)
            return self.conn.read()
        except NETWORK_ERRORS:
            self.conn.close()
            return 0, b""

    def call(self, method: str, path: str, body: bytes = b"", expect: int = 200) -> bytes:
        """One call that must be answered `expect`; its body."""
        status, answer = self.exchange(s3_head(self.target, method, path, len(body)) + body)
        if status != expect:
            raise S3Error(f"{method} {path} answered {status}: {answer[:300]!r}")
        return answer

    def create_bucket(self, prefix: str) -> str:
        bucket = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.call("PUT", f"/{bucket}")
        return bucket

    def upload(self, path: str, body: memoryview, query: str = "") -> tuple[int, dict[str, str]] | None:
        """PUT a large body; the answer's status and headers, None when the connection failed."""
        try:
            self.conn.send(s3_head(self.target, "PUT", path + query, len(body)))
            self.conn.send(body)
            status, _ = self.conn.read()
            return status, self.conn.headers
        except NETWORK_ERRORS:
            self.conn.close()
            return None

    def download(self, path: str) -> int:
        """GET an object, reading it into a reusable buffer; the bytes received (-1 unless 200)."""
        try:
            self.conn.send(s3_head(self.target, "GET", path, None))
            # Streamed into a reusable buffer: read with http.client, not the whole-answer reader.
            response = http.client.HTTPResponse(self.conn.sock, method="GET")  # type: ignore[arg-type]
            response.begin()
            received = 0
            while n := response.readinto(self.buffer):
                received += n
            if response.will_close:
                self.conn.close()
            return received if response.status == 200 else -1
        except NETWORK_ERRORS:
            self.conn.close()
            return -1

    def head(self, path: str) -> tuple[int, str]:
        """HEAD an object: the status and the Content-Length it announces."""
        try:
            self.conn.send(s3_head(self.target, "HEAD", path, None))
            status, _ = self.conn.read(head_only=True)
            return status, self.conn.headers.get("content-length", "")
        except NETWORK_ERRORS:
            self.conn.close()
            return 0, ""

    def close(self) -> None:
        self.conn.close()


def run_loop(target: Target, client: S3Client, call: Callable[[], bool]) -> Figures:
    """Warm-up and timed loop of `call`; ops/s, latency and connection figures."""
    result = measured_loop(target, call, client.conn.reset_count)
    return {**loop_figures(result, rate_key="ops_per_s"), "connections": client.conn.connects}


# --- 1 KiB objects -----------------------------------------------------------------------------


class Puts:
    """PutObject of distinct 1 KiB objects `<prefix>-<n>` (fixed width), n = 0, 1, 2, ..."""

    def __init__(self, client: S3Client, bucket: str, prefix: str = "put") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix
        self.body = b"b" * SMALL
        self.n = 0

    def payload(self, n: int) -> bytes:
        return s3_head(self.client.target, "PUT", f"/{self.bucket}/{self.prefix}-{n:09d}", SMALL) + self.body

    def run(self) -> bool:
        status, _ = self.client.exchange(self.payload(self.n))
        self.n += 1
        return status == 200


class Gets:
    """GetObject over a ring of existing 1 KiB objects; an answer counts when it is 200 and 1 KiB long."""

    def __init__(self, client: S3Client, bucket: str, keys: list[str]) -> None:
        self.client = client
        self.payloads = [s3_head(client.target, "GET", f"/{bucket}/{key}", None) for key in keys]
        self.i = 0

    def run(self) -> bool:
        payload = self.payloads[self.i % len(self.payloads)]
        self.i += 1
        status, body = self.client.exchange(payload)
        return status == 200 and len(body) == SMALL


def setup_objects(client: S3Client, bucket: str) -> list[str]:
    """Write SETUP_OBJECTS 1 KiB objects; their keys."""
    puts = Puts(client, bucket, "obj")
    for n in range(SETUP_OBJECTS):
        if not puts.run():
            raise S3Error(f"setup PutObject {n} failed")
    return [f"obj-{n:09d}" for n in range(SETUP_OBJECTS)]


def s3_put_1k(target: Target) -> Figures:
    client = S3Client(target)
    try:
        puts = Puts(client, client.create_bucket("bench-put"))
        figures = run_loop(target, client, puts.run)
        # The last object written must read back whole.
        last = client.call("GET", f"/{puts.bucket}/{puts.prefix}-{puts.n - 1:09d}")
        figures["read_back_ok"] = int(last == puts.body)
        return figures
    finally:
        client.close()


def s3_get_1k(target: Target) -> Figures:
    client = S3Client(target)
    try:
        bucket = client.create_bucket("bench-get")
        gets = Gets(client, bucket, setup_objects(client, bucket))
        return run_loop(target, client, gets.run)
    finally:
        client.close()


def s3_put_1k_sat(target: Target) -> Figures:
    setup = S3Client(target)
    try:
        bucket = setup.create_bucket("bench-put-sat")
    finally:
        setup.close()

    def make(index: int) -> Client:
        client = S3Client(target)
        puts = Puts(client, bucket, f"c{index}")
        return Client(step=puts.run, close=client.close)

    return {**sat_figures(saturate(target, make), "ops_per_s"), "clients": target.clients}


def s3_get_1k_sat(target: Target) -> Figures:
    setup = S3Client(target)
    try:
        bucket = setup.create_bucket("bench-get-sat")
        keys = setup_objects(setup, bucket)
    finally:
        setup.close()

    def make(index: int) -> Client:
        client = S3Client(target)
        gets = Gets(client, bucket, share(keys, index, target.clients))
        return Client(step=gets.run, close=client.close)

    return {**sat_figures(saturate(target, make), "ops_per_s"), "clients": target.clients}


# --- large objects -----------------------------------------------------------------------------


class RssSampler:
    """Samples the server tree's resident memory every RSS_SAMPLE_S seconds on a thread; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.before = tree_rss_mb(pid)
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(RSS_SAMPLE_S):
            self.peak = max(self.peak, tree_rss_mb(self.pid))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss_mb(self.pid))


def _large_body() -> memoryview:
    return memoryview(bytes(range(256)) * (LARGE // 256))


def _rounds(target: Target, transfer: Callable[[int], bool]) -> Figures:
    """LARGE_ROUNDS calls of `transfer(i)` (True when 100 MiB moved): MB/s and the server's RSS."""
    with RssSampler(target.pid) as rss:
        start = time.perf_counter()
        ok = sum(transfer(i) for i in range(LARGE_ROUNDS))
        elapsed = time.perf_counter() - start
    return {
        "mb_per_s": ok * LARGE / 1e6 / elapsed,
        "errors": LARGE_ROUNDS - ok,
        "rss_before_mb": round(rss.before, 1),
        "peak_rss_mb": round(rss.peak, 1),
    }


def s3_put_100m(target: Target) -> Figures:
    client = S3Client(target)
    try:
        bucket = client.create_bucket("bench-large")
        body = _large_body()
        client.upload(f"/{bucket}/warm", body[: 16 * 1024 * 1024])

        def put(i: int) -> bool:
            response = client.upload(f"/{bucket}/large-{i}", body)
            return response is not None and response[0] == 200

        return _rounds(target, put)
    finally:
        client.close()


def s3_get_100m(target: Target) -> Figures:
    client = S3Client(target)
    try:
        bucket = client.create_bucket("bench-large")
        response = client.upload(f"/{bucket}/large", _large_body())
        if response is None or response[0] != 200:
            raise S3Error("setup PUT of the 100 MiB object failed")
        client.download(f"/{bucket}/large")  # warm the page cache and the server's read path
        return _rounds(target, lambda _: client.download(f"/{bucket}/large") == LARGE)
    finally:
        client.close()


# --- large objects through curl --------------------------------------------------------------
# The Python client above receives at most ~1-1.6 GB/s on the 2-core machine (measured against a
# zero-copy sendfile server), less than a fast server sends: these two take curl (a C client)
# as the client, so the figure is the server's.


def _curl(args: list[str]) -> tuple[int, int, float]:
    """Run curl; (HTTP status, bytes moved, seconds curl timed the transfer)."""
    if shutil.which("curl") is None:
        raise S3Error("curl is not installed")
    out = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download} %{size_upload} %{time_total}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=TRANSFER_TIMEOUT_S,
        check=False,
    ).stdout.split()
    if len(out) != 4:
        raise S3Error(f"curl printed {out!r}")
    return int(out[0]), max(int(float(out[1])), int(float(out[2]))), float(out[3])


def _curl_headers() -> list[str]:
    scope = f"{FAKE_KEY_ID}/20260101/{REGION}/s3/aws4_request"
    auth = f"Authorization: AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0000"
    return ["-H", auth, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-H", "X-Amz-Date: 20260101T000000Z"]


def _curl_rounds(target: Target, args_of: Callable[[int], list[str]]) -> Figures:
    """LARGE_ROUNDS curl transfers: MB/s over curl's own transfer times, and the server's RSS."""
    moved, seconds, errors = 0, 0.0, 0
    with RssSampler(target.pid) as rss:
        for i in range(LARGE_ROUNDS):
            status, size, took = _curl(args_of(i))
            if status != 200 or size != LARGE:
                errors += 1
                continue
            moved, seconds = moved + size, seconds + took
    return {
        "mb_per_s": moved / 1e6 / seconds if seconds else 0.0,
        "errors": errors,
        "rss_before_mb": round(rss.before, 1),
        "peak_rss_mb": round(rss.peak, 1),
    }


def s3_put_100m_curl(target: Target) -> Figures:
    client = S3Client(target)
    with tempfile.NamedTemporaryFile(prefix="bench-100m-") as source:
        source.write(_large_body())
        source.flush()
        try:
            bucket = client.create_bucket("bench-large")
        finally:
            client.close()
        put = ["-X", "PUT", "-H", "Expect:", "-H", "Content-Type: application/octet-stream", *_curl_headers()]
        _curl([*put, "--data-binary", f"@{source.name}", f"{target.url}/{bucket}/warm"])
        return _curl_rounds(
            target, lambda i: [*put, "--data-binary", f"@{source.name}", f"{target.url}/{bucket}/large-{i}"]
        )


def s3_get_100m_curl(target: Target) -> Figures:
    client = S3Client(target)
    try:
        bucket = client.create_bucket("bench-large")
        response = client.upload(f"/{bucket}/large", _large_body())
        if response is None or response[0] != 200:
            raise S3Error("setup PUT of the 100 MiB object failed")
    finally:
        client.close()
    get = [*_curl_headers(), f"{target.url}/{bucket}/large"]
    _curl(get)  # warm the page cache and the server's read path
    return _curl_rounds(target, lambda _: get)


def s3_multipart_2g(target: Target) -> Figures:
    """A 2 GiB multipart upload (128 parts of 16 MiB from one buffer); MB/s and the server's peak RSS."""
    client = S3Client(target)
    try:
        bucket = client.create_bucket("bench-multipart")
        key = f"/{bucket}/big"
        part = memoryview(bytes(range(256)) * (PART // 256))
        with RssSampler(target.pid) as rss:
            start = time.perf_counter()
            found = UPLOAD_ID_RE.search(client.call("POST", f"{key}?uploads"))
            if found is None:
                raise S3Error("CreateMultipartUpload answered without an UploadId")
            upload_id = found.group(1).decode()
            etags = []
            for number in range(1, PARTS + 1):
                response = client.upload(key, part, f"?partNumber={number}&uploadId={upload_id}")
                if response is None or response[0] != 200:
                    raise S3Error(f"UploadPart {number} failed")
                etags.append(response[1].get("etag", ""))
            parts = "".join(
                f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
                for n, etag in enumerate(etags, start=1)
            )
            complete = f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode()
            answer = client.call("POST", f"{key}?uploadId={upload_id}", complete)
            elapsed = time.perf_counter() - start
        if b"<ETag>" not in answer:
            raise S3Error(f"CompleteMultipartUpload answered {answer[:300]!r}")
        status, length = client.head(key)
        if status != 200 or length != str(PARTS * PART):
            raise S3Error(f"HEAD of the completed object answered {status}, Content-Length {length!r}")
        return {
            "mb_per_s": PARTS * PART / 1e6 / elapsed,
            "rss_before_mb": round(rss.before, 1),
            "peak_rss_mb": round(rss.peak, 1),
        }
    finally:
        client.close()
