"""Cloudlet's runtime for Python functions: imports the handler, then loops on the Lambda
Runtime API (``AWS_LAMBDA_RUNTIME_API``) as AWS's Python runtime does.

Run as a script by the execution environment (standard library only). After each
invocation's output it writes a marker line (``MARKER`` + request id) to stdout, before
answering, so the server knows every line of the invocation arrived; the server removes it.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
import urllib.error
import urllib.request
from typing import Any

MARKER = "\x00cloudlet-invocation-end "
API = "http://" + os.environ.get("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001") + "/2018-06-01/runtime"


def _post(path: str, body: Any, headers: dict[str, str] | None = None) -> None:
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    request = urllib.request.Request(API + path, data=data, method="POST", headers=headers or {})
    with urllib.request.urlopen(request) as response:
        response.read()


def _stack(tb: Any) -> list[str]:
    return traceback.format_list(traceback.extract_tb(tb))


def _error(exc: BaseException, request_id: str = "") -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": "Runtime.MarshalError" if isinstance(exc, MarshalError) else type(exc).__name__,
        "requestId": request_id,
        "stackTrace": _stack(exc.__traceback__),
    }


def _log_error(payload: dict[str, Any]) -> None:
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
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id") or ""
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self._deadline = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        identity = json.loads(headers.get("Lambda-Runtime-Cognito-Identity") or "{}")
        self.identity = Identity(identity.get("cognitoIdentityId"), identity.get("cognitoIdentityPoolId"))
        client = headers.get("Lambda-Runtime-Client-Context")
        self.client_context = ClientContext(json.loads(client)) if client else None

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline - int(time.time() * 1000), 0)


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _setup_logging() -> _RequestIdFilter:
    handler = logging.StreamHandler(sys.stdout)
    ids = _RequestIdFilter()
    handler.addFilter(ids)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.WARNING)
    return ids


def _end(request_id: str) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(1, (MARKER + request_id + "\n").encode())


def main() -> None:
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    for path in ("/opt/python", task_root):
        if path not in sys.path:
            sys.path.insert(0, path)
    ids = _setup_logging()
    handler = load_handler(os.environ["_HANDLER"])
    while True:
        try:
            with urllib.request.urlopen(API + "/invocation/next") as response:
                headers = response.headers
                body = response.read()
        except (urllib.error.URLError, ConnectionError):
            sys.exit(0)  # the server went away
        context = Context(headers)
        request_id = context.aws_request_id
        ids.request_id = request_id
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
