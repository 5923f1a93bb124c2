"""Configuration: command-line flags, each also a ``CLOUDLET_*`` environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path


def default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "cloudlet")


@dataclass
class Config:
    """Settings of one Cloudlet server."""

    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: str = field(default_factory=default_data_dir)
    in_memory: bool = False
    log_level: str = "info"
    dynamodb_throttle: bool = False  # enforce provisioned throughput (ProvisionedThroughputExceededException)

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
    def log_file(self) -> Path:
        return Path(self.data_dir) / "cloudlet.log"


def _convert(raw: str, current: object) -> object:
    if isinstance(current, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(raw)
    return raw
