"""Cloudlet's runtime for Python functions: imports the handler, then loops on the Lambda
Runtime API (``AWS_LAMBDA_RUNTIME_API``) as AWS's Python runtime does.

Run as a script by the execution environment (standard library only). After each
invocation's output it writes a marker line (``MARKER`` + request id) to stdout, before
answering, so the server knows every line of the invocation arrived; the server removes it.
"""

from __future__ import annotations

import os
import sys

# Started with -S (no site processing, which can cost tens of milliseconds): the site
# directories of the interpreter come last on the path, as site would put them.
sys.path.extend(p for p in os.environ.pop("CLOUDLET_SITE_DIRS", "").split(os.pathsep) if p)

import importlib
import json
import socket
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing, logging and traceback are imported only when used: a faster cold start
    import logging
    from typing import Any

MARKER = "\x00cloudlet-invocation-end "
PREFIX = "/2018-06-01/runtime"
# The function's LoggingConfig, as Lambda tells runtimes (set with the JSON format only).
JSON_LOGS = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"
LOG_LEVEL = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
LOG_LEVEL = "DEBUG" if LOG_LEVEL == "TRACE" else LOG_LEVEL  # Python's logging has no TRACE
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # the JSON records' timestamp (seconds, UTC)


class RuntimeApi:
    """A minimal keep-alive HTTP/1.1 client of the Runtime API (the standard library's
    urllib costs more to import than the rest of a cold start)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.address = (host or "127.0.0.1", int(port))
        self.sock: socket.socket | None = None
        self.buffer = b""

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        for attempt in (1, 2):  # the server may have closed an idle connection: retry once
            try:
                return self._exchange(method, path, body, headers or {})
            except OSError:
                self.close()
                if attempt == 2:
                    raise
        raise ConnectionError  # not reached

    def _exchange(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(self.address)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        lines = [f"{method} {PREFIX}{path} HTTP/1.1", "Host: runtime", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        found: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            found[name.strip().lower()] = value.strip()
        length = int(found.get("content-length") or 0)
        while len(self.buffer) < length:
            self._fill()
        data, self.buffer = self.buffer[:length], self.buffer[length:]
        if found.get("connection", "").lower() == "close":
            self.close()
        return int(status_line.split()[1]), found, data

    def _fill(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the Runtime API closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None


API = RuntimeApi(os.environ.get("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"))


def _post(path: str, body: Any, headers: dict[str, str] | None = None) -> None:
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    API.request("POST", path, data, headers)


def _stack(tb: Any) -> list[str]:
    """The function's frames as AWS's runtime reports them: the runtime's own frames left out,
    the code under the task root shown under ``/var/task``."""
    import traceback

    frames = [f for f in traceback.extract_tb(tb) if f.filename != __file__]
    root = os.environ.get("LAMBDA_TASK_ROOT", "").rstrip("/")
    lines = traceback.format_list(frames)
    if root and root != "/var/task":
        lines = [line.replace(f'"{root}/', '"/var/task/', 1) for line in lines]
    return lines


def _error(exc: BaseException, request_id: str = "") -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": "Runtime.MarshalError" if isinstance(exc, MarshalError) else type(exc).__name__,
        "requestId": request_id,
        "stackTrace": _stack(exc.__traceback__),
    }


def _log_error(payload: dict[str, Any]) -> None:
    if JSON_LOGS:  # one ERROR record with the error's members, as AWS's runtime writes it
        record = {"timestamp": time.strftime(TIME_FORMAT, time.gmtime()), "level": "ERROR", **payload}
        print(json.dumps(record, ensure_ascii=False, default=str), flush=True)
        return
    lines = [f"[ERROR] {payload['errorType']}: {payload['errorMessage']}"]
    if payload.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        lines.extend(s.rstrip("\n") for s in payload["stackTrace"])
    print("\r".join(lines), flush=True)


def _init_error(error_type: str, message: str, stack: list[str] | None = None) -> None:
    payload = {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": stack or []}
    _log_error(payload)
    _post("/init/error", payload, {"Lambda-Runtime-Function-Error-Type": error_type})
    sys.exit(1)


def load_handler(spec: str) -> Any:
    """The handler function ``module.function`` names (module may be a dotted path ``a/b``)."""
    module_name, _, function = spec.rpartition(".")
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        line = f'  File "{exc.filename}" Line {exc.lineno}\n    {(exc.text or "").strip()}\n'
        _init_error(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {exc}",
            [line],
        )
    except ImportError as exc:
        _init_error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}")
    except Exception as exc:  # an error raised while the module initialises
        payload = _error(exc)
        _log_error(payload)
        _post("/init/error", payload, {"Lambda-Runtime-Function-Error-Type": "Runtime.Unknown"})
        sys.exit(1)
    handler = getattr(module, function, None)
    if handler is None:
        _init_error("Runtime.HandlerNotFound", f"Handler '{function}' missing on module '{module_name}'")
    return handler


class MarshalError(Exception):
    """A result that is not JSON (answered as ``Runtime.MarshalError``)."""


class Identity:
    def __init__(self, identity_id: str | None = None, pool_id: str | None = None) -> None:
        self.cognito_identity_id = identity_id
        self.cognito_identity_pool_id = pool_id


class ClientContext:
    def __init__(self, data: dict[str, Any]) -> None:
        self.client = data.get("client")
        self.custom = data.get("custom")
        self.env = data.get("env")


class Context:
    """What the handler gets as ``context``, as AWS's Python runtime builds it."""

    def __init__(self, headers: Any) -> None:
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.aws_request_id = headers.get("lambda-runtime-aws-request-id") or ""
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn")
        self._deadline = int(headers.get("lambda-runtime-deadline-ms") or 0)
        identity = json.loads(headers.get("lambda-runtime-cognito-identity") or "{}")
        self.identity = Identity(identity.get("cognitoIdentityId"), identity.get("cognitoIdentityPoolId"))
        client = headers.get("lambda-runtime-client-context")
        self.client_context = ClientContext(json.loads(client)) if client else None

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline - int(time.time() * 1000), 0)


class _RequestIds:
    """The request id log records carry (``aws_request_id``), set per invocation."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


IDS = _RequestIds()


def _setup_logging(logging: Any) -> None:
    """AWS's root handler and format (text, or JSON records), installed as soon as ``logging``
    is imported; the root level is AWS_LAMBDA_LOG_LEVEL's (TRACE is DEBUG), else WARNING."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(IDS)
    if JSON_LOGS:
        formatter = _json_formatter(logging)
    else:
        formatter = logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
        )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(LOG_LEVEL if isinstance(logging.getLevelName(LOG_LEVEL), int) else logging.WARNING)


# LogRecord attributes that are not the caller's own ``extra`` members.
RECORD_FIELDS = frozenset(
    {
        "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
        "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread",
        "threadName", "processName", "process", "message", "asctime", "aws_request_id",
    }
)  # fmt: skip


def _json_formatter(logging: Any) -> Any:
    """A formatter writing each record as the JSON object AWS's Python runtime writes: timestamp,
    level, message (a dict logged alone stays an object), logger, requestId; for an exception
    errorType, errorMessage, stackTrace and location; then the record's ``extra`` members."""

    class JsonFormatter(logging.Formatter):  # type: ignore[misc]
        def format(self, record: Any) -> str:
            level = min(50, max(0, record.levelno)) // 10 * 10
            message = record.msg if isinstance(record.msg, dict) and not record.args else record.getMessage()
            out: dict[str, Any] = {
                "timestamp": time.strftime(TIME_FORMAT, time.gmtime(record.created)),
                "level": logging.getLevelName(level),
                "message": message,
                "logger": record.name,
            }
            if record.exc_info and record.exc_info[0] is not None:
                import traceback

                kind, error, tb = record.exc_info
                out["stackTrace"] = traceback.format_tb(tb)
                out["errorType"] = kind.__name__
                out["errorMessage"] = str(error)
            out["requestId"] = getattr(record, "aws_request_id", None)
            if "stackTrace" in out:
                out["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
            out.update((k, v) for k, v in record.__dict__.items() if k not in RECORD_FIELDS and k not in out)
            kept = {k: v for k, v in out.items() if v is not None}
            return json.dumps(kept, ensure_ascii=False, default=str)

    return JsonFormatter()


class _LoggingHook:
    """A meta path finder that configures ``logging`` right after its first import, so the
    function's code (and the libraries it imports) find AWS's root handler in place."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "logging":
            return None
        import importlib.util

        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module: Any) -> None:
            execute(module)
            _setup_logging(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _end(request_id: str) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(1, (MARKER + request_id + "\n").encode())


def main() -> None:
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    for path in ("/opt/python", task_root):
        if path not in sys.path:
            sys.path.insert(0, path)
    if "logging" in sys.modules:
        _setup_logging(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, _LoggingHook())
    handler = load_handler(os.environ["_HANDLER"])
    while True:
        try:
            _, headers, body = API.request("GET", "/invocation/next")
        except OSError:
            sys.exit(0)  # the server went away
        context = Context(headers)
        request_id = context.aws_request_id
        if "lambda-runtime-trace-id" in headers:
            os.environ["_X_AMZN_TRACE_ID"] = headers["lambda-runtime-trace-id"]
        IDS.request_id = request_id
        try:
            event = json.loads(body) if body else {}
            result = handler(event, context)
            try:
                answer = json.dumps(result).encode()
            except (TypeError, ValueError) as exc:
                raise MarshalError(f"Unable to marshal response: {exc}") from None
        except Exception as exc:
            payload = _error(exc, request_id)
            _log_error(payload)
            _end(request_id)
            _post(
                f"/invocation/{request_id}/error",
                payload,
                {"Lambda-Runtime-Function-Error-Type": payload["errorType"]},
            )
            continue
        _end(request_id)
        _post(f"/invocation/{request_id}/response", answer)


if __name__ == "__main__":
    main()
