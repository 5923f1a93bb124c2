"""``cloudlet logs <function>``: print a Lambda function's log events, then follow new ones.

It speaks the public CloudWatch Logs API to a running Cloudlet, as any client would: the
function's log group (its ``LoggingConfig.LogGroup``, else ``/aws/lambda/<name>``; an argument
starting with ``/`` is a log group itself) is read with FilterLogEvents from ``--since``, then
followed with StartLiveTail, whose session pushes events as they are ingested. A session that
ends (after three hours, or when the server restarts) is opened again, catching up with
FilterLogEvents from the last event printed; events seen twice across the seam are printed
once. A group that does not exist yet is waited for. SIGINT and SIGTERM end it (exit 0).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from datetime import UTC, datetime
from typing import Any

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
RETRY_SECONDS = 1.0
_SPAN = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class Stop(BaseException):
    """SIGTERM, turned into an orderly end like SIGINT's KeyboardInterrupt (a BaseException, so
    no ``except Exception`` in a library swallows it)."""


def since_ms(text: str, now: float) -> int:
    """``--since``: a span back from now (``30s``, ``10m``, ``2h``, ``1d``, ``1w``), epoch
    seconds or milliseconds, or an ISO 8601 time (UTC unless it names a zone)."""
    text = text.strip()
    m = _SPAN.match(text)
    if m:
        return int((now - float(m[1]) * _UNITS[m[2]]) * 1000)
    if text.isdigit():
        value = int(text)
        return value if value > 10**11 else value * 1000
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--since {text!r}: not a span (10m), epoch time or ISO time"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def line(event: dict[str, Any]) -> str:
    """How one event is printed: its time (UTC, ms), its stream, its message."""
    moment = datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return f"{stamp} {event['logStreamName']} {event['message'].rstrip(chr(10))}"


class Follower:
    """One ``cloudlet logs`` run against an endpoint."""

    def __init__(self, args: argparse.Namespace) -> None:
        import boto3
        from botocore.config import Config

        region = (
            args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        )
        session = boto3.session.Session(
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID") or "test",
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or "test",
            aws_session_token=os.environ.get("AWS_SESSION_TOKEN"),
            region_name=region,
        )
        # StartLiveTail's host prefix (``stream-``) would make a name no resolver knows
        config = Config(retries={"max_attempts": 1}, inject_host_prefix=False, read_timeout=30)
        self.logs = session.client("logs", endpoint_url=args.endpoint, config=config)
        self.lam = session.client("lambda", endpoint_url=args.endpoint, config=config)
        self.target = args.function
        self.pattern = args.filter or ""
        self.follow = args.follow
        self.start: int = args.since
        self.seen: dict[tuple[str, int, str], int] = {}  # recent events printed -> timestamp
        self.keep = 10_000  # how many of them before the older ones are forgotten
        self.last = self.start
        self.stream: Any = None

    def group(self) -> str:
        """The log group the argument names: a group itself, or the function's."""
        from botocore.exceptions import ClientError

        if self.target.startswith("/"):
            return self.target
        try:
            config = self.lam.get_function_configuration(FunctionName=self.target)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            name = self.target.split(":function:")[-1].split(":")[0]
            return f"/aws/lambda/{name}"
        return (config.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{config['FunctionName']}"

    def show(self, event: dict[str, Any]) -> None:
        key = (event["logStreamName"], event["timestamp"], event["message"])
        if key in self.seen:
            return
        self.seen[key] = event["timestamp"]
        self.last = max(self.last, event["timestamp"])
        if len(self.seen) > self.keep:  # keep what a seam could repeat: the last minute or so
            horizon = self.last - 60_000
            self.seen = {k: ts for k, ts in self.seen.items() if ts >= horizon}
            self.keep = max(10_000, 2 * len(self.seen))
        print(line(event), flush=True)

    def history(self, group: str, start: int) -> None:
        """Events from ``start`` on, with FilterLogEvents (all pages)."""
        params: dict[str, Any] = {"logGroupName": group, "startTime": start}
        if self.pattern:
            params["filterPattern"] = self.pattern
        while True:
            page = self.logs.filter_log_events(**params)
            for event in page.get("events", []):
                self.show(event)
            token = page.get("nextToken")
            if not token:
                return
            params["nextToken"] = token

    def open(self, group: str) -> Any:
        """A StartLiveTail session on ``group`` (ClientError when the group is missing). Once
        its answer begins the server is watching, so history read afterwards leaves no gap."""
        params: dict[str, Any] = {"logGroupIdentifiers": [group]}
        if self.pattern:
            params["logEventFilterPattern"] = self.pattern
        return self.logs.start_live_tail(**params)["responseStream"]

    def run(self) -> int:
        from botocore.exceptions import BotoCoreError, ClientError, EventStreamError

        group = self.group()
        cursor = self.start
        waiting = connected = False
        while True:
            try:
                if self.follow:
                    self.stream = self.open(group)
                self.history(group, cursor)
                connected = True
                if not self.follow:
                    return 0
                for message in self.stream:
                    for event in (message.get("sessionUpdate") or {}).get("sessionResults") or []:
                        self.show(event)
            except EventStreamError as exc:  # the session ended (SessionTimeoutException): reopen
                note(f"live tail ended ({exc.response['Error']['Code']}); reopening")
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                if not self.follow:
                    note(f"no log group {group}")
                    return 1
                if not waiting:
                    note(f"waiting for log group {group}")
                    waiting = True
                time.sleep(RETRY_SECONDS)
            except BotoCoreError as exc:  # the server went away: wait for it, once it was there
                if not connected:
                    raise
                note(f"{exc}; retrying")
                time.sleep(RETRY_SECONDS)
            finally:
                self.close()
            cursor = self.last

    def close(self) -> None:
        if self.stream is not None:
            try:
                self.stream.close()
            except Exception:
                pass
            self.stream = None


def note(text: str) -> None:
    print(f"cloudlet logs: {text}", file=sys.stderr, flush=True)


def cmd_logs(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    def stop(signum: int, frame: Any) -> None:
        raise Stop

    previous = signal.signal(signal.SIGTERM, stop)
    follower = Follower(args)
    try:
        return follower.run()
    except (KeyboardInterrupt, Stop):
        return 0
    except (BotoCoreError, ClientError) as exc:
        note(str(exc))
        return 1
    finally:
        follower.close()
        signal.signal(signal.SIGTERM, previous)


def add_parser(sub: Any) -> None:
    """The ``logs`` subcommand."""
    p = sub.add_parser("logs", help="print a Lambda function's logs and follow new ones")
    p.add_argument("function", help="function name or ARN, or a log group name starting with /")
    p.add_argument(
        "--endpoint", default=DEFAULT_ENDPOINT, help=f"Cloudlet's URL (default {DEFAULT_ENDPOINT})"
    )
    p.add_argument("--region", help="Region (default AWS_REGION, AWS_DEFAULT_REGION or us-east-1)")
    p.add_argument(
        "--since",
        type=lambda text: since_ms(text, time.time()),
        default="10m",
        help="where to start: a span back from now (30s, 10m, 2h, 1d), epoch time or ISO time (default 10m)",
    )
    p.add_argument(
        "--follow",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep printing new events as they arrive (default; --no-follow prints and exits)",
    )
    p.add_argument("--filter", metavar="PATTERN", help="a CloudWatch Logs filter pattern")
    p.set_defaults(func=cmd_logs)
