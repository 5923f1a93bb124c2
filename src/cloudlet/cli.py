"""The ``cloudlet`` command: start, stop, status, reset, env, clock, logs (cli_logs.py)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from cloudlet import __version__, cli_logs
from cloudlet.config import Config, private_dir, private_file
from cloudlet.core.credentials import parse_credential_list
from cloudlet.services.registry import PROVIDERS

READY_TIMEOUT = 30.0


def _config(args: argparse.Namespace) -> Config:
    return Config.from_env(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        data_dir=getattr(args, "data_dir", None),
        in_memory=True if getattr(args, "in_memory", False) else None,
        log_level=getattr(args, "log_level", None),
        dynamodb_throttle=True if getattr(args, "dynamodb_throttle", False) else None,
        kinesis_throttle=True if getattr(args, "kinesis_throttle", False) else None,
        sqs_skip_queue_deleted_recently=True
        if getattr(args, "sqs_skip_queue_deleted_recently", False)
        else None,
        sts_skip_role_checks=True if getattr(args, "sts_skip_role_checks", False) else None,
        allowed_hosts=getattr(args, "allowed_hosts", None),
        credentials=getattr(args, "credentials", None),
        verify_signatures=True if getattr(args, "verify_signatures", False) else None,
    )


def _announced(cfg: Config) -> dict[str, Any] | None:
    """What the server running on ``cfg``'s data directory says of itself, if one runs."""
    try:
        info = json.loads(cfg.server_file.read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info


def _target(args: argparse.Namespace) -> tuple[Config, dict[str, Any] | None]:
    """The server a command talks to: the address given (``--host``/``--port`` or
    ``CLOUDLET_HOST``/``CLOUDLET_PORT``) if any, else the one running on the data directory
    (its server file), else the default address. Also what that server announced."""
    cfg = _config(args)
    info = _announced(cfg)
    given = any(
        getattr(args, flag, None) is not None or f"CLOUDLET_{flag.upper()}" in os.environ
        for flag in ("host", "port")
    )
    if info is not None and not given:
        found = urllib.parse.urlsplit(str(info.get("endpoint", "")))
        if found.hostname and found.port:
            cfg.host, cfg.port = found.hostname, found.port
    elif info is not None and urllib.parse.urlsplit(str(info.get("endpoint", ""))).port != cfg.port:
        info = None  # the data directory's server is another one than the address given
    return cfg, info


def _admin(cfg: Config, path: str, body: dict[str, Any] | None = None, timeout: float = 5.0) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(cfg.endpoint + path, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


def _is_up(cfg: Config) -> bool:
    try:
        _admin(cfg, "/_cloudlet/health", timeout=1.0)
        return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


# -- commands -----------------------------------------------------------------------------


def cmd_start(args: argparse.Namespace) -> int:
    cfg = _config(args)
    try:
        parse_credential_list(cfg.credentials)
    except ValueError as exc:
        print(f"cloudlet: {exc}", file=sys.stderr)
        return 2
    if _is_up(cfg):
        print(f"cloudlet is already running at {cfg.endpoint}", file=sys.stderr)
        return 1
    if args.detach:
        return _start_detached(cfg)
    store = "in memory" if cfg.in_memory else str(cfg.db_path)
    print(f"Cloudlet {__version__}", flush=True)
    print(f"  endpoint: {cfg.endpoint}", flush=True)
    print(f"  store:    {store}", flush=True)
    print(f"  services: {', '.join(sorted(PROVIDERS))} (others answer NotImplemented)", flush=True)
    if not cfg.in_memory:
        private_dir(cfg.data_dir)
    from cloudlet.server import serve

    serve(cfg, detached=args.announce_detached)
    return 0


def _start_detached(cfg: Config) -> int:
    private_dir(cfg.data_dir)
    argv = [sys.executable, "-m", "cloudlet", "start", "--host", cfg.host, "--port", str(cfg.port)]
    argv += ["--data-dir", cfg.data_dir, "--log-level", cfg.log_level, "--announce-detached"]
    if cfg.in_memory:
        argv.append("--in-memory")
    if cfg.dynamodb_throttle:
        argv.append("--dynamodb-throttle")
    if cfg.kinesis_throttle:
        argv.append("--kinesis-throttle")
    if cfg.sqs_skip_queue_deleted_recently:
        argv.append("--sqs-skip-queue-deleted-recently")
    if cfg.sts_skip_role_checks:
        argv.append("--sts-skip-role-checks")
    if cfg.allowed_hosts:
        argv += ["--allowed-hosts", cfg.allowed_hosts]
    if cfg.verify_signatures:
        argv.append("--verify-signatures")
    env = {**os.environ, "CLOUDLET_CREDENTIALS": cfg.credentials}  # secrets stay out of the argv
    with open(private_file(cfg.log_file), "ab") as log:
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
    private_file(cfg.pid_file).write_text(str(proc.pid))
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(f"cloudlet failed to start; see {cfg.log_file}", file=sys.stderr)
            cfg.pid_file.unlink(missing_ok=True)
            return 1
        if _is_up(cfg):
            print(f"cloudlet started in the background (pid {proc.pid}) at {cfg.endpoint}")
            return 0
        time.sleep(0.05)
    print(f"cloudlet did not answer within {READY_TIMEOUT:.0f}s; see {cfg.log_file}", file=sys.stderr)
    return 1


def cmd_stop(args: argparse.Namespace) -> int:
    """Stop the server this data directory or address names, detached or in the foreground."""
    cfg, info = _target(args)
    pid = None if info is None else int(info["pid"])
    how = "detached" if info is None or info.get("detached") else "running in the foreground"
    if pid is None:
        try:  # a server answering at the address, started with another data directory
            pid = int(_admin(cfg, "/_cloudlet/state", timeout=2.0)["pid"])
            how = "found answering at the address"
        except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError):
            print(
                f"cloudlet is not running at {cfg.endpoint} (no server file in {cfg.data_dir})",
                file=sys.stderr,
            )
            cfg.pid_file.unlink(missing_ok=True)
            return 1
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError as exc:
        print(f"cloudlet at {cfg.endpoint} (pid {pid}) could not be stopped: {exc}", file=sys.stderr)
        return 1
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
    cfg.pid_file.unlink(missing_ok=True)
    print(f"cloudlet stopped (pid {pid}, {how}) at {cfg.endpoint}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    cfg, _ = _target(args)
    try:
        state = _admin(cfg, "/_cloudlet/state")
    except (urllib.error.URLError, OSError, ValueError):
        print(f"cloudlet is down ({cfg.endpoint})")
        return 3
    print(f"cloudlet is up at {cfg.endpoint}")
    print(f"  version: {state['version']}")
    print(f"  uptime:  {state['uptime']:.0f}s")
    print(f"  store:   {state['store']}")
    print(f"  clock:   offset {state['clock']['offset']:.3f}s")
    resources = state.get("resources") or {}
    if not resources:
        print("  resources: none")
    for service, counts in sorted(resources.items()):
        detail = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        print(f"  {service}: {detail}")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    cfg, _ = _target(args)
    if not args.yes:
        if not sys.stdin.isatty():
            print("refusing to reset without --yes (no terminal to ask)", file=sys.stderr)
            return 2
        answer = input(f"Wipe all state of cloudlet at {cfg.endpoint}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("aborted")
            return 1
    try:
        _admin(cfg, "/_cloudlet/reset", {})
    except (urllib.error.URLError, OSError) as exc:
        print(f"cloudlet is not reachable at {cfg.endpoint}: {exc}", file=sys.stderr)
        return 1
    print("all state wiped")
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    cfg, _ = _target(args)
    region = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    print(f"export AWS_ENDPOINT_URL={cfg.endpoint}")
    print("export AWS_ACCESS_KEY_ID=test")
    print("export AWS_SECRET_ACCESS_KEY=test")
    print(f"export AWS_DEFAULT_REGION={region}")
    print(f"export AWS_REGION={region}")
    # operations whose host takes a prefix (Logs' StartLiveTail, S3's WriteGetObjectResponse)
    # would otherwise go to <prefix>.127.0.0.1, which no resolver knows
    print("export AWS_DISABLE_HOST_PREFIX_INJECTION=true")
    return 0


def cmd_clock(args: argparse.Namespace) -> int:
    cfg, _ = _target(args)
    try:
        if args.action == "advance":
            if args.seconds is None or args.seconds < 0:
                print("clock advance needs a non-negative number of seconds", file=sys.stderr)
                return 2
            clock = _admin(cfg, "/_cloudlet/clock", {"advance": args.seconds}, timeout=300)
        else:
            clock = _admin(cfg, "/_cloudlet/clock")
    except (urllib.error.URLError, OSError) as exc:
        print(f"cloudlet is not reachable at {cfg.endpoint}: {exc}", file=sys.stderr)
        return 1
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock["now"]))
    print(f"now {clock['now']:.3f} ({stamp}), offset {clock['offset']:.3f}s")
    return 0


# -- parser -------------------------------------------------------------------------------


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="address to listen on / reach (CLOUDLET_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (CLOUDLET_PORT, default 4566)")
    p.add_argument("--data-dir", help="data directory (CLOUDLET_DATA_DIR)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cloudlet", description="An AWS-compatible serverless cloud on one machine"
    )
    parser.add_argument("--version", action="version", version=f"cloudlet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("start", help="start the server (foreground unless --detach)")
    _common(p)
    p.add_argument("--in-memory", action="store_true", help="keep state in memory only (CLOUDLET_IN_MEMORY)")
    p.add_argument(
        "--dynamodb-throttle",
        action="store_true",
        help="enforce provisioned throughput on DynamoDB tables (CLOUDLET_DYNAMODB_THROTTLE)",
    )
    p.add_argument(
        "--kinesis-throttle",
        action="store_true",
        help="enforce provisioned Kinesis shards' write limits (CLOUDLET_KINESIS_THROTTLE)",
    )
    p.add_argument(
        "--sqs-skip-queue-deleted-recently",
        action="store_true",
        help="let a deleted SQS queue's name be re-created at once instead of after AWS's 60 seconds "
        "(CLOUDLET_SQS_SKIP_QUEUE_DELETED_RECENTLY)",
    )
    p.add_argument(
        "--sts-skip-role-checks",
        action="store_true",
        help="let STS AssumeRole* take any role ARN: no check that the role exists or trusts the "
        "caller (CLOUDLET_STS_SKIP_ROLE_CHECKS)",
    )
    p.add_argument(
        "--allowed-hosts",
        help="comma-separated extra Host names the admin API answers, e.g. behind a proxy "
        "(CLOUDLET_ALLOWED_HOSTS)",
    )
    p.add_argument(
        "--credentials",
        metavar="KEY:SECRET,...",
        help="access keys whose secret Cloudlet knows, so S3 checks their signatures "
        "(CLOUDLET_CREDENTIALS, default test:test,testing:testing; empty: none)",
    )
    p.add_argument(
        "--verify-signatures",
        action="store_true",
        help="check the SigV4 signature of every request of every service and refuse unknown "
        "access keys (CLOUDLET_VERIFY_SIGNATURES)",
    )
    p.add_argument("--log-level", help="debug, info, warning, error (CLOUDLET_LOG_LEVEL)")
    p.add_argument("-d", "--detach", action="store_true", help="run in the background with a pid file")
    p.add_argument("--announce-detached", action="store_true", help=argparse.SUPPRESS)  # set by --detach
    p.set_defaults(func=cmd_start)

    for name, func, text in (
        ("stop", cmd_stop, "stop a detached server"),
        ("status", cmd_status, "up or down, uptime, store, resources"),
        ("env", cmd_env, "print export lines that point AWS tools at Cloudlet"),
    ):
        p = sub.add_parser(name, help=text)
        _common(p)
        p.set_defaults(func=func)

    p = sub.add_parser("reset", help="wipe all state")
    _common(p)
    p.add_argument("-y", "--yes", action="store_true", help="do not ask")
    p.set_defaults(func=cmd_reset)

    cli_logs.add_parser(sub)

    p = sub.add_parser("clock", help="show or advance the service clock")
    _common(p)
    p.add_argument("action", choices=["show", "advance"])
    p.add_argument("seconds", nargs="?", type=float)
    p.set_defaults(func=cmd_clock)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
