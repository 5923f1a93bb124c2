"""Configuration: command-line flags, each also a ``CLOUDLET_*`` environment variable."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, fields
from pathlib import Path


def default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "cloudlet")


# The conventional local pairs: LocalStack's and MiniStack's test/test, moto's testing/testing.
DEFAULT_CREDENTIALS = "test:test,testing:testing"


@dataclass
class Config:
    """Settings of one Cloudlet server."""

    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: str = field(default_factory=default_data_dir)
    in_memory: bool = False
    log_level: str = "info"
    dynamodb_throttle: bool = False  # enforce provisioned throughput (ProvisionedThroughputExceededException)
    # enforce provisioned Kinesis shards' write limits (1 MiB and 1,000 records a second)
    kinesis_throttle: bool = False
    # let a deleted SQS queue's name be re-created at once (no 60-second QueueDeletedRecently)
    sqs_skip_queue_deleted_recently: bool = False
    # let STS AssumeRole* take any role ARN, as Cloudlet did before it checked roles: no check
    # that the role exists in IAM or that its trust policy allows the caller
    sts_skip_role_checks: bool = False
    allowed_hosts: str = ""  # comma-separated extra Host names the admin API answers ("*": any)
    # Access keys whose secret Cloudlet knows (KEY:SECRET,...; empty: none): S3 checks their
    # signatures (gateway/signatures.py); with verify_signatures, every service does.
    credentials: str = DEFAULT_CREDENTIALS
    verify_signatures: bool = False  # check every SigV4 request; unknown access keys refused
    # seconds (real time) an idle Lambda execution environment is kept before its process ends
    lambda_idle_seconds: float = 600.0
    # Lambda's concurrency limit per account and Region (AWS's default quota: 1,000)
    lambda_account_concurrency: int = 1000
    # Lambda hot reload: function code given as this S3Bucket with an absolute directory as
    # S3Key runs that directory, edits taking effect on the next invoke (empty: off)
    lambda_hot_reload_bucket: str = "hot-reload"
    # allow hot reload when Cloudlet listens on an address other than loopback
    lambda_hot_reload_any_host: bool = False
    # Step Functions mocked service integrations: the mock configuration file (Step Functions
    # Local's format), used by executions started on ``stateMachineArn#TestCase``; empty:
    # $SFN_MOCK_CONFIG (services/stepfunctions/engine/mocks.py)
    sfn_mock_config: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Config:
        """Defaults, then ``CLOUDLET_*`` variables, then explicit overrides (flags)."""
        env = dict(os.environ if env is None else env)
        cfg = cls()
        for f in fields(cls):
            raw = env.get(f"CLOUDLET_{f.name.upper()}")
            if raw is not None:
                setattr(cfg, f.name, _convert(raw, getattr(cfg, f.name)))
        for key, value in overrides.items():
            if value is not None:
                setattr(cfg, key, value)
        return cfg

    @property
    def endpoint(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def db_path(self) -> Path | None:
        return None if self.in_memory else Path(self.data_dir) / "cloudlet.db"

    @property
    def pid_file(self) -> Path:
        return Path(self.data_dir) / "cloudlet.pid"

    @property
    def server_file(self) -> Path:
        """Where a running server says who it is (pid, endpoint, how it was started), so the
        other ``cloudlet`` commands given the same data directory find it."""
        return Path(self.data_dir) / "cloudlet.server.json"

    @property
    def log_file(self) -> Path:
        return Path(self.data_dir) / "cloudlet.log"

    @property
    def extra_hosts(self) -> set[str]:
        """The names of ``allowed_hosts``, lower-cased."""
        return {h.strip().lower().rstrip(".") for h in self.allowed_hosts.split(",") if h.strip()}


def private_dir(path: str | Path) -> Path:
    """Create directory ``path`` (and its parents) readable by its owner only, or tighten it."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path, 0o700)
    return path


def private_file(path: str | Path) -> Path:
    """Create file ``path`` if missing, readable by its owner only, or tighten it."""
    path = Path(path)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    _tighten(path, 0o600)
    return path


def _tighten(path: Path, mode: int) -> None:
    if path.stat().st_mode & 0o077:
        try:
            path.chmod(mode)
        except OSError as exc:  # a file system without modes, a path of another owner
            logging.getLogger("cloudlet").warning("could not make %s private: %s", path, exc)


def _convert(raw: str, current: object) -> object:
    if isinstance(current, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    return raw
