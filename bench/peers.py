"""The servers under comparison: how to prepare, start and probe each one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENVS = REPO / ".bench-venvs"
# One bytecode cache for every peer's modules, so no peer pays for compiling on each start
# (the sandbox sets PYTHONDONTWRITEBYTECODE, and src/ never gets .pyc files otherwise).
PYCACHE = VENVS / "pycache"
_DROPPED_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")  # run servers as a user normally would
MINISTACK_SPEC = os.environ.get("BENCH_MINISTACK_SPEC", "ministack==1.5.33")


@dataclass
class Peer:
    """A server to benchmark. Subclasses say how to launch it and where it answers health checks."""

    name: str
    health_path: str = "/"
    health_any_status: bool = False  # True: any HTTP answer on health_path means ready

    def prepare(self) -> str | None:
        """Make the peer runnable (install, build); return a reason when it cannot run."""
        return None

    def command(self, port: int, workdir: Path) -> list[str]:
        """The argv that starts the server on 127.0.0.1:`port`; `workdir` is a private scratch dir."""
        raise NotImplementedError

    def extra_env(self, port: int) -> dict[str, str]:
        """Environment variables added for this peer's server."""
        return {}

    def version(self) -> str | None:
        """The peer's version, for the results file."""
        return None

    def env(self, port: int, workdir: Path) -> dict[str, str]:
        """Full environment for the server: ours, a private TMPDIR, plus the peer's own additions."""
        env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
        env["TMPDIR"] = str(workdir)
        env.update(self.extra_env(port))
        return env


@dataclass
class CloudletPeer(Peer):
    """Cloudlet from this repository's src/, in memory or with a file store under the scratch dir."""

    file_store: bool = False
    health_path: str = "/_cloudlet/health"

    def prepare(self) -> str | None:
        probe = subprocess.run(
            [sys.executable, "-c", "import cloudlet.cli"],
            env={**os.environ, **self.extra_env(0)},
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode != 0:
            last = (probe.stderr.strip().splitlines() or ["?"])[-1]
            return f"`import cloudlet.cli` fails: {last}"
        return None

    def command(self, port: int, workdir: Path) -> list[str]:
        store = ["--data-dir", str(workdir / "data")] if self.file_store else ["--in-memory"]
        return [sys.executable, "-m", "cloudlet", "start", "--host", "127.0.0.1", "--port", str(port), *store]

    def extra_env(self, port: int) -> dict[str, str]:
        paths = [str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        return {"PYTHONPATH": os.pathsep.join(paths)}

    def version(self) -> str | None:
        return _dist_version("cloudlet") or "src"


@dataclass
class MotoPeer(Peer):
    """moto's standalone server (moto[server]) from the interpreter running the benchmark."""

    health_path: str = "/moto-api/"
    health_any_status: bool = True

    def _script(self) -> str | None:
        beside = Path(sys.executable).parent / "moto_server"
        return str(beside) if beside.exists() else shutil.which("moto_server")

    def prepare(self) -> str | None:
        return None if self._script() else "moto_server not found (pip install 'moto[server]')"

    def command(self, port: int, workdir: Path) -> list[str]:
        return [str(self._script()), "-H", "127.0.0.1", "-p", str(port)]

    def version(self) -> str | None:
        return _dist_version("moto")


@dataclass
class MiniStackPeer(Peer):
    """MiniStack, installed in its own venv because it pins a botocore that conflicts with ours."""

    health_path: str = "/_ministack/health"
    venv: Path = VENVS / "ministack"

    def prepare(self) -> str | None:
        if (self.venv / "bin" / "ministack").exists():
            return None
        print(f"[bench] creating {self.venv} and installing {MINISTACK_SPEC} ...", flush=True)
        steps = [
            [sys.executable, "-m", "venv", str(self.venv)],
            [str(self.venv / "bin" / "pip"), "install", "--quiet", MINISTACK_SPEC],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                tail = " | ".join(done.stderr.strip().splitlines()[-3:])
                return f"{' '.join(step[:3])} failed: {tail}"
        return None

    def command(self, port: int, workdir: Path) -> list[str]:
        return [str(self.venv / "bin" / "ministack")]

    def extra_env(self, port: int) -> dict[str, str]:
        # GATEWAY_PORT picks the port, BIND_HOST the interface (default 0.0.0.0).
        # IOT_MTLS_ENABLED=0 keeps it from also binding an MQTT listener on 0.0.0.0:8883.
        return {"GATEWAY_PORT": str(port), "BIND_HOST": "127.0.0.1", "IOT_MTLS_ENABLED": "0"}

    def version(self) -> str | None:
        found = sorted(self.venv.glob("lib/python*/site-packages/ministack-*.dist-info"))
        return found[-1].name.removeprefix("ministack-").removesuffix(".dist-info") if found else None


def _dist_version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


PEERS: dict[str, Peer] = {
    "cloudlet": CloudletPeer("cloudlet"),
    "cloudlet-file": CloudletPeer("cloudlet-file", file_store=True),
    "moto": MotoPeer("moto"),
    "ministack": MiniStackPeer("ministack"),
}
