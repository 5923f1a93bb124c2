"""Workloads: each is a function taking a running server (`Target`) and returning a dict of figures.

This module holds the shared plumbing (raw keep-alive requests, timed loops, percentiles) and the
startup and STS workloads; the SQS ones are in sqs.py, the DynamoDB ones in dynamodb.py, and the
multi-process driver of the saturation workloads in saturate.py. To add one, write
`def my_workload(target: Target) -> Figures`, then register it in registry.py with the metrics it
reports (which figure keys, their unit, and whether higher is better).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from procs import tree_cpu_seconds, tree_rss_mb

Figures = dict[str, float | int | str]

FAKE_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
RECV_BYTES = 256 * 1024  # per recv() of an answer
MAX_CALLS = 2_000_000  # hard bound on requests per loop, whatever the duration
STS_GRACE_S = 3.0  # how long startup keeps trying STS once health answers, before settling for health
SETTLE_S = 1.0  # idle time before reading RSS after startup


@dataclass(frozen=True)
class Op:
    """One AWS query-protocol call, sent raw (pre-built bytes) or through boto3."""

    label: str
    service: str
    body: bytes
    boto_method: str

    def raw_request(self, host: str, port: int) -> bytes:
        """The full HTTP/1.1 request, headers and body, ready to be written to a socket."""
        return build_request(host, port, self.service, self.body)


def build_request(
    host: str,
    port: int,
    service: str,
    body: bytes,
    content_type: str = "application/x-www-form-urlencoded; charset=utf-8",
    extra_headers: tuple[str, ...] = (),
) -> bytes:
    """A `POST /` HTTP/1.1 request with a fake SigV4 Authorization header (no server checks signatures)."""
    scope = f"{FAKE_KEY_ID}/20260101/{REGION}/{service}/aws4_request"
    headers = [
        "POST / HTTP/1.1",
        f"Host: {host}:{port}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        *extra_headers,
        "X-Amz-Date: 20260101T000000Z",
        f"Authorization: AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature=0000",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


STS = Op(
    "sts:GetCallerIdentity", "sts", b"Action=GetCallerIdentity&Version=2011-06-15", "get_caller_identity"
)
SQS = Op("sqs:ListQueues (fallback)", "sqs", b"Action=ListQueues&Version=2012-11-05", "list_queues")
OPS = (STS, SQS)


@dataclass
class Target:
    """A running server under test."""

    host: str
    port: int
    pid: int
    spawned_at: float  # time.perf_counter() just before the process was spawned
    alive: Callable[[], bool]
    health_path: str
    health_any_status: bool
    op: Op | None = None  # chosen by choose_op() once the server is ready
    duration: float = 3.0
    warmup: float = 0.5
    start_timeout: float = 60.0
    clients: int = 3  # client processes of the saturation workloads (saturate.py)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class KeepAliveConnection:
    """One HTTP/1.1 connection for pre-built requests; it reconnects only when the server closed it.

    Answers are read by a minimal reader (status line, Content-Length or chunked body, `Connection:
    close`) rather than http.client, whose header parsing costs more per request than some of the
    servers measured: a serial loop times the server plus its client, so the client is kept lean.
    """

    def __init__(self, target: Target, timeout: float = 5.0) -> None:
        self.address = (target.host, target.port)
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.pending = b""  # bytes received past the end of the previous answer
        self.headers: dict[str, str] = {}  # of the last answer read, names in lower case
        self.connects = 0

    def send(self, payload: bytes | memoryview) -> None:
        """Write one request (or more of its body), connecting first if needed. Raises on network errors."""
        if self.sock is None:
            self.sock = socket.create_connection(self.address, self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.pending = b""
            self.connects += 1
        self.sock.sendall(payload)

    def _recv(self) -> bytes:
        if self.sock is None:
            raise ConnectionError("not connected")
        data = self.sock.recv(RECV_BYTES)
        if not data:
            raise ConnectionError("the server closed the connection")
        return data

    def read(self, head_only: bool = False) -> tuple[int, bytes]:
        """Read the whole answer to the request just sent: its status and body (none after a HEAD)."""
        while True:
            data = self.pending
            end = data.find(b"\r\n\r\n")
            while end < 0:
                data += self._recv()
                end = data.find(b"\r\n\r\n")
            status_line, *lines = data[:end].decode("latin-1").split("\r\n")
            status = int(status_line.split(" ", 2)[1])
            self.pending = data[end + 4 :]
            if status >= 200 or status == 101:
                break  # an interim 1xx answer is skipped
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        self.headers = headers
        if head_only or status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunked()
        elif "content-length" in headers:
            body = self._exactly(int(headers["content-length"]))
        else:  # the body ends when the connection does
            body = self._until_closed()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def _exactly(self, size: int) -> bytes:
        data = self.pending
        while len(data) < size:
            data += self._recv()
        self.pending = data[size:]
        return data[:size]

    def _line(self) -> bytes:
        data = self.pending
        end = data.find(b"\r\n")
        while end < 0:
            data += self._recv()
            end = data.find(b"\r\n")
        self.pending = data[end + 2 :]
        return data[:end]

    def _chunked(self) -> bytes:
        parts = []
        while size := int(self._line().split(b";", 1)[0], 16):
            parts.append(self._exactly(size))
            self._line()
        while self._line():  # trailers, up to the empty line
            pass
        return b"".join(parts)

    def _until_closed(self) -> bytes:
        parts = [self.pending]
        with contextlib.suppress(ConnectionError):
            while True:
                parts.append(self._recv())
        self.pending = b""
        return b"".join(parts)

    def exchange(self, payload: bytes) -> tuple[int, bytes]:
        """Send one request and read its answer. Raises on network errors."""
        self.send(payload)
        return self.read()

    def reset_count(self) -> None:
        self.connects = 0

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.pending = b""


class RawClient(KeepAliveConnection):
    """Sends one pre-built request over a single keep-alive connection, reconnecting only when told to."""

    def __init__(self, target: Target, op: Op, timeout: float = 5.0) -> None:
        super().__init__(target, timeout)
        self.payload = op.raw_request(target.host, target.port)

    def status(self) -> int:
        """Send the request and read the whole response; return its status. Raises on network errors."""
        return self.exchange(self.payload)[0]

    def call(self) -> bool:
        """One request; True when answered 200."""
        try:
            return self.status() == 200
        except NETWORK_ERRORS:
            self.close()
            return False


JSON_TYPE = "application/x-amz-json-1.0"
NETWORK_ERRORS = (OSError, http.client.HTTPException)


def parse(body: bytes) -> dict[str, Any]:
    """A JSON object answer, or {} when the body is not one."""
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class JsonClient:
    """Raw JSON-protocol calls (``X-Amz-Target: <target_prefix><Op>``) over one keep-alive
    connection; a subclass names the service and the error its failed setup calls raise."""

    service = ""  # the SigV4 signing name
    target_prefix = ""
    error: type[Exception] = RuntimeError

    def __init__(self, target: Target, timeout: float = 5.0) -> None:
        self.target = target
        self.conn = KeepAliveConnection(target, timeout)

    def request(self, op: str, params: dict[str, Any]) -> bytes:
        """The pre-built HTTP request for one operation."""
        return self.raw_request(op, json.dumps(params).encode())

    def raw_request(self, op: str, body: bytes) -> bytes:
        return build_request(
            self.target.host,
            self.target.port,
            self.service,
            body,
            JSON_TYPE,
            (f"X-Amz-Target: {self.target_prefix}{op}",),
        )

    def post(self, payload: bytes) -> tuple[int, bytes]:
        """Send a pre-built request; (0, b"") when the connection failed (it is then reopened next time)."""
        try:
            return self.conn.exchange(payload)
        except NETWORK_ERRORS:
            self.conn.close()
            return 0, b""

    def call(self, op: str, params: dict[str, Any]) -> dict[str, Any]:
        """One call that must be answered 200; its parsed answer (``error`` raised otherwise)."""
        status, body = self.post(self.request(op, params))
        if status != 200:
            raise self.error(f"{op} answered {status}: {body[:300]!r}")
        return parse(body)

    def close(self) -> None:
        self.conn.close()


def probe(target: Target, op: Op, timeout: float = 1.0) -> int | None:
    """Status of one `op` request on a fresh connection, None when nothing answers."""
    client = RawClient(target, op, timeout)
    try:
        return client.status()
    except NETWORK_ERRORS:
        return None
    finally:
        client.close()


def health_ok(target: Target, timeout: float = 1.0) -> bool:
    """Whether the peer's health endpoint says it is up."""
    conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    try:
        conn.request("GET", target.health_path)
        resp = conn.getresponse()
        resp.read()
        return target.health_any_status or resp.status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def wait_ready(target: Target) -> None:
    """Poll the health endpoint until it answers; raise if the server dies or takes too long."""
    deadline = target.spawned_at + target.start_timeout
    while time.perf_counter() < deadline:
        if not target.alive():
            raise RuntimeError("server exited during startup")
        if health_ok(target):
            return
        time.sleep(0.02)
    raise TimeoutError(f"not ready after {target.start_timeout:.0f} s")


def choose_op(target: Target) -> Op:
    """STS GetCallerIdentity if the server answers it with 200, else the first fallback that works."""
    for op in OPS:
        if probe(target, op, timeout=5.0) == 200:
            return op
    return STS


# --- measurement loops -------------------------------------------------------------------------


@dataclass
class LoopResult:
    ok: int = 0
    errors: int = 0
    elapsed: float = 0.0
    server_cpu_s: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)


def timed_loop(call: Callable[[], bool], seconds: float, max_calls: int = MAX_CALLS) -> LoopResult:
    """Call `call` back to back for `seconds` (or `max_calls` calls); time each successful one."""
    result = LoopResult()
    clock = time.perf_counter_ns
    start = clock()
    deadline = start + int(seconds * 1e9)
    now = start
    while now < deadline and result.ok + result.errors < max_calls:
        before = clock()
        ok = call()
        now = clock()
        if ok:
            result.ok += 1
            result.latencies_ns.append(now - before)
        else:
            result.errors += 1
    result.elapsed = (now - start) / 1e9
    return result


def percentile_ms(sorted_ns: list[int], q: float) -> float:
    """Nearest-rank percentile of sorted nanosecond samples, in milliseconds."""
    if not sorted_ns:
        return float("nan")
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1e6


def measured_loop(
    target: Target, call: Callable[[], bool], after_warmup: Callable[[], None] | None = None
) -> LoopResult:
    """Warm up, then run the timed loop, noting the server's CPU time spent during it."""
    timed_loop(call, target.warmup)
    if after_warmup:
        after_warmup()
    cpu_before = tree_cpu_seconds(target.pid)
    result = timed_loop(call, target.duration)
    result.server_cpu_s = tree_cpu_seconds(target.pid) - cpu_before
    return result


def loop_figures(result: LoopResult, rate_key: str = "rps") -> Figures:
    """Rate of successful calls, their p50/p99 latency, counts and the server's CPU per call."""
    lat = sorted(result.latencies_ns)
    return {
        rate_key: result.ok / result.elapsed if result.elapsed else 0.0,
        "p50_ms": percentile_ms(lat, 0.50),
        "p99_ms": percentile_ms(lat, 0.99),
        "requests": result.ok,
        "errors": result.errors,
        "server_cpu_ms_per_req": 1000 * result.server_cpu_s / result.ok if result.ok else float("nan"),
    }


# --- workloads ---------------------------------------------------------------------------------


def startup(target: Target) -> Figures:
    """Seconds from spawn to the first 200 answer to STS (or to health, if STS never answers 200),
    then the idle RSS of the server's process tree after a short settle."""
    deadline = target.spawned_at + target.start_timeout
    health_at: float | None = None
    elapsed, first_answer = 0.0, ""
    while not first_answer:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no answer after {target.start_timeout:.0f} s")
        if not target.alive():
            raise RuntimeError("server exited during startup")
        status = probe(target, STS, timeout=1.0)
        now = time.perf_counter()
        if status == 200:
            elapsed, first_answer = now - target.spawned_at, STS.label
        elif status is not None and health_at is None and health_ok(target):
            health_at = now
        elif health_at is not None and now - health_at > STS_GRACE_S:
            elapsed, first_answer = (
                health_at - target.spawned_at,
                f"health {target.health_path} (STS not 200)",
            )
        else:
            time.sleep(0.01)
    time.sleep(SETTLE_S)
    return {"startup_s": elapsed, "rss_mb": tree_rss_mb(target.pid), "first_answer": first_answer}


def sts_rps(target: Target) -> Figures:
    """Requests/s of STS GetCallerIdentity (or the fallback op) over one raw keep-alive connection."""
    op = target.op or STS
    client = RawClient(target, op)
    try:
        result = measured_loop(target, client.call, client.reset_count)
    finally:
        client.close()
    # Connections opened while measuring: a server that closes after each answer needs one per request.
    return {**loop_figures(result), "connections": client.connects, "op": op.label}


def sts_rps_boto3(target: Target) -> Figures:
    """Calls/s of the same operation through a boto3 client (signing, parsing and all)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=FAKE_KEY_ID, aws_secret_access_key=FAKE_SECRET, region_name=REGION
    )
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=5)
    op = target.op or STS
    client = session.client(op.service, endpoint_url=target.url, config=config)
    method = getattr(client, op.boto_method)

    def call() -> bool:
        try:
            return method()["ResponseMetadata"]["HTTPStatusCode"] == 200
        except Exception:  # any failure, including an answer botocore cannot parse, is an error
            return False

    try:
        result = measured_loop(target, call)
    finally:
        client.close()
    return {**loop_figures(result), "op": op.label}


# --- workload types (the registry of workloads is in registry.py) ------------------------------


@dataclass(frozen=True)
class Metric:
    """A figure to tabulate: its key in the figure dict, its unit, and which direction is better."""

    key: str
    unit: str
    higher_is_better: bool
    better: str = "faster"
    worse: str = "slower"
    ratio: bool = True  # False: tabulated, but no baseline ratio (e.g. a utilisation)


@dataclass(frozen=True)
class Workload:
    """A named measurement and the metrics of its figures that the table shows."""

    name: str
    run: Callable[[Target], Figures]
    metrics: tuple[Metric, ...]
    fresh_server: bool = False  # runs first, straight after spawn, before any readiness polling
