"""Running functions: execution environments started cold, reused warm, reaped when idle,
replaced after a timeout or a crash; each invocation's log lines go to CloudWatch Logs.

Runtimes: ``python3.x`` on ``bootstraps/python_bootstrap.py`` (with the interpreter running
Cloudlet), ``nodejs*`` on ``bootstraps/node_bootstrap.mjs`` (with the machine's ``node``),
``provided*`` on the function's own ``bootstrap``; others answer NotImplemented at invoke
(``unsupported``). Environments are not persisted: after a restart they start on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.services.awslambda import log_format, sandbox
from cloudlet.services.awslambda.configure import runtime_version_arn
from cloudlet.services.awslambda.environment import Environment, Invocation
from cloudlet.services.awslambda.memory import MemoryWatch

if TYPE_CHECKING:
    from cloudlet.services.awslambda.response_stream import ResponseStream

log = logging.getLogger("cloudlet.lambda")

BOOTSTRAPS = Path(__file__).parent / "bootstraps"
BOOTSTRAP = BOOTSTRAPS / "python_bootstrap.py"
NODE_BOOTSTRAP = BOOTSTRAPS / "node_bootstrap.mjs"
CUSTOM_GRACE = 0.05  # a provided runtime writes no end marker: how long its output may trail
INIT_TIMEOUT = 10.0  # seconds AWS gives the init phase
CREDENTIALS_MARGIN = 900.0  # an environment whose credentials expire sooner is replaced
OUTPUT_GRACE = 1.0  # how long to wait for the output lines an answer follows
TAIL_BYTES = 4096


@dataclass
class Launch:
    """What an environment needs to start: the version's configuration and where things are."""

    key: tuple[str, ...]
    config: dict[str, Any]
    code_dir: Path
    layer_dirs: list[Path]
    account: str
    region: str
    log_group: str
    endpoint: str
    credentials: Any  # () -> (access key, secret, session token, expiry on the service clock)


def _family(runtime: str) -> str:
    for family in ("python3", "nodejs", "provided"):
        if runtime.startswith(family):
            return family
    return ""


def unsupported(runtime: str | None) -> str | None:
    """What is missing to run ``runtime`` here (None when it runs), for Invoke's NotImplemented."""
    family = _family(runtime or "")
    if family == "nodejs" and shutil.which("node") is None:
        return f"runtime {runtime}: no `node` executable on the PATH of Cloudlet"
    if not family:
        return f"runtime {runtime}: Cloudlet runs python3.x, nodejs and provided runtimes only"
    return None


def _bootstrap(launch: Launch) -> tuple[Path | None, str]:
    """A provided runtime's ``bootstrap`` (the code's, else the last layer's) or why it can't run."""
    found = [d / "bootstrap" for d in [launch.code_dir, *reversed(launch.layer_dirs)]]
    for path in found:
        if path.is_file():
            if not os.access(path, os.X_OK):
                return None, f"fork/exec {path}: permission denied"
            return path, ""
    return None, "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"


@dataclass
class Outcome:
    """What an invocation answered: the payload, whether it is a function error, its log."""

    payload: bytes
    error: bool = False
    log: list[str] = field(default_factory=list)
    duration: float = 0.0  # ms


class Executor:
    """The execution environments of every function, and invocations on them."""

    def __init__(self, sink: Any, clock: Any, idle_seconds: float) -> None:
        self.sink = sink  # () -> LogSink (loaded on first use)
        self.clock = clock
        self.idle_seconds = idle_seconds
        self.idle: dict[tuple[str, ...], list[Environment]] = {}
        self.running: set[Environment] = set()
        self._reaper: asyncio.Task[None] | None = None
        self._warned: set[str] = set()
        self._background: set[asyncio.Future[Any]] = set()
        self.memory = MemoryWatch(lambda: self.running)

    def later(self, work: Any) -> None:
        """Run ``work`` (a coroutine) in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    # ---- environments -----------------------------------------------------------------------

    def _take_idle(self, launch: Launch) -> Environment | None:
        """The most recently used free environment, pre-started (provisioned) ones first. One
        that ended or whose role credentials are about to expire is dropped (a provisioned one
        replaced by a new pre-started environment)."""
        envs = self.idle.get(launch.key) or []
        while envs:
            env = envs.pop(next((i for i in range(len(envs)) if envs[i].provisioned), -1))
            if env.alive and env.credentials_expire > self.clock.now() + CREDENTIALS_MARGIN:
                return env
            self.later(env.kill())
            if env.provisioned is not None:
                self.later(self._provisioned_env(launch, env.provisioned))
        return None

    def _new(self, launch: Launch) -> Environment:
        now = datetime.fromtimestamp(self.clock.now(), UTC)
        stream = f"{now:%Y/%m/%d}/[{launch.config['Version']}]{secrets.token_hex(16)}"
        return Environment(launch.key, stream, self.now_ms)

    async def _start(self, launch: Launch, initialization: str = "on-demand") -> Environment:
        env = self._new(launch)
        env.memory_limit_mb = int(launch.config.get("MemorySize") or 128)
        await env.open()
        tmpdir = Path(tempfile.mkdtemp(prefix="cloudlet-lambda-"))
        isolated = await asyncio.to_thread(sandbox.available)
        variables = self._environ(launch, env, Path("/tmp") if isolated else tmpdir)
        variables["AWS_LAMBDA_INITIALIZATION_TYPE"] = initialization
        argv = await self._command(launch, variables)
        if isolated:
            needed = [launch.code_dir, *launch.layer_dirs, BOOTSTRAPS, Path(argv[0])]
            argv = sandbox.wrap(argv, tmpdir, [*needed, Path(sys.prefix), Path(sys.base_prefix)])
        env.marks_end = _family(launch.config.get("Runtime") or "") != "provided"
        label, arn = _runtime_version(launch)
        settings = log_format.LogSettings.of(launch.config)
        env.init_lines += log_format.init_start(
            settings, launch.config, self.now_ms(), label, arn, initialization
        )
        await env.spawn(argv, variables, launch.code_dir, tmpdir)
        self.ensure_reaper()
        return env

    async def _command(self, launch: Launch, variables: dict[str, str]) -> list[str]:
        """The process a runtime runs, completing ``variables`` with its own (NODE_PATH, PATH)."""
        runtime = launch.config.get("Runtime") or ""
        family = _family(runtime)
        layers = launch.layer_dirs
        if family == "nodejs":
            node = shutil.which("node") or "node"
            major = runtime.removeprefix("nodejs").split(".")[0]
            paths = [str(d / "nodejs" / f"node{major}" / "node_modules") for d in layers]
            paths += [str(d / "nodejs" / "node_modules") for d in layers]
            variables["NODE_PATH"] = os.pathsep.join([*paths, str(launch.code_dir)])
            if runtime not in self._warned:
                self._warned.add(runtime)
                mine = await _node_version(node)
                if mine.split(".")[0] != major:
                    log.info("Lambda %s functions run on this Node.js (%s, %s)", runtime, mine, node)
            return [node, str(NODE_BOOTSTRAP)]
        if family == "provided":
            bins = [str(d / "bin") for d in layers]
            variables["PATH"] = os.pathsep.join([*bins, variables["PATH"]])
            libs = [str(d / "lib") for d in layers]
            if libs:
                variables["LD_LIBRARY_PATH"] = os.pathsep.join(libs)
            path, _ = _bootstrap(launch)
            return [str(path or launch.code_dir / "bootstrap")]
        wanted = runtime.removeprefix("python")
        mine = f"{sys.version_info.major}.{sys.version_info.minor}"
        if wanted != mine and runtime not in self._warned:
            self._warned.add(runtime)
            log.info("Lambda %s functions run on this Python (%s, %s)", runtime, mine, sys.executable)
        variables["CLOUDLET_SITE_DIRS"] = _site_dirs()
        return [sys.executable, "-S", "-u", str(BOOTSTRAP)]

    def _environ(self, launch: Launch, env: Environment, tmpdir: Path) -> dict[str, str]:
        config = launch.config
        key, secret, token, env.credentials_expire = launch.credentials()
        python_paths = [str(d / "python") for d in launch.layer_dirs]
        variables = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "TMPDIR": str(tmpdir),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "LAMBDA_TASK_ROOT": str(launch.code_dir),
            "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
            "_HANDLER": config.get("Handler") or "",
            "AWS_LAMBDA_FUNCTION_NAME": config["FunctionName"],
            "AWS_LAMBDA_FUNCTION_VERSION": config["Version"],
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.get("MemorySize") or 128),
            "AWS_LAMBDA_LOG_GROUP_NAME": launch.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": env.stream,
            "AWS_LAMBDA_RUNTIME_API": env.address,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.get('Runtime')}",
            "AWS_REGION": launch.region,
            "AWS_DEFAULT_REGION": launch.region,
            "AWS_ENDPOINT_URL": launch.endpoint,
            # Host prefixes (S3's WriteGetObjectResponse ``{RequestRoute}.``) on an IP endpoint
            # make a host no resolver knows; without them the request reaches Cloudlet (botocore).
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_SESSION_TOKEN": token,
        }
        if python_paths:
            variables["PYTHONPATH"] = os.pathsep.join(python_paths)
        variables.update((config.get("Environment") or {}).get("Variables") or {})
        variables.update(log_format.environment(config))  # unverified: over a function's own values
        return variables

    async def acquire(self, launch: Launch) -> tuple[Environment, bool]:
        """A free environment for ``launch.key`` (warm), else a new one (cold)."""
        env = self._take_idle(launch)
        cold = env is None
        if env is None:
            env = await self._start(launch)
        self.running.add(env)
        self.memory.ensure()
        return env, cold

    def release(self, env: Environment) -> None:
        self.running.discard(env)
        env.finish()
        if env.alive:
            self.idle.setdefault(env.key, []).append(env)
        else:
            self.later(env.kill())

    async def discard(self, env: Environment) -> None:
        self.running.discard(env)
        await env.kill()

    def ensure_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.ensure_future(self._reap())

    async def _reap(self) -> None:
        """Kill environments idle longer than ``idle_seconds`` (real time), until none is left."""
        while any(self.idle.values()) or self.running:
            await asyncio.sleep(max(0.05, min(self.idle_seconds / 4, 30.0)))
            cutoff = time.monotonic() - self.idle_seconds
            for key, envs in list(self.idle.items()):
                stale = [e for e in envs if (e.last_used <= cutoff and not e.provisioned) or not e.alive]
                if stale:
                    self.idle[key] = [e for e in envs if e not in stale]
                    for env in stale:
                        await env.kill()
                if not self.idle.get(key):
                    self.idle.pop(key, None)

    async def provision(self, launch: Launch, tag: tuple[str, str], count: int) -> str | None:
        """Pre-start environments for provisioned concurrency until ``count`` exist for ``tag``
        (function, qualifier), initialized before any invocation; extra ones stop being
        provisioned. Why it failed (an init error), or None."""
        mine = [e for envs in self.idle.values() for e in envs if e.provisioned == tag and e.alive]
        mine += [e for e in self.running if e.provisioned == tag]
        for env in mine[count:]:
            env.provisioned = None
        starting = [self._provisioned_env(launch, tag) for _ in range(count - len(mine))]
        problems = [p for p in await asyncio.gather(*starting) if p]
        return problems[0] if problems else None

    async def _provisioned_env(self, launch: Launch, tag: tuple[str, str]) -> str | None:
        env = await self._start(launch, "provisioned-concurrency")
        began = time.monotonic()
        failure = await self._init(env, "")
        init_ms = (time.monotonic() - began) * 1000
        settings = log_format.LogSettings.of(launch.config)
        init = log_format.init_done(
            settings, env.init_lines, self.now_ms(), init_ms, failure, "provisioned-concurrency"
        )
        self._write_lines(launch, env, init)
        env.init_lines = []
        if failure is not None:
            await env.kill()
            return failure.decode(errors="replace")
        env.provisioned = tag
        self.idle.setdefault(launch.key, []).append(env)
        return None

    def unprovision(self, tag: tuple[str, str]) -> None:
        """Environments pre-started for ``tag`` become ordinary ones (reaped when idle)."""
        for env in [e for envs in self.idle.values() for e in envs] + list(self.running):
            if env.provisioned == tag:
                env.provisioned = None

    def drop(self, prefix: str) -> None:
        """Forget the idle environments of keys starting with ``prefix`` (a changed function)."""
        for key in [k for k in self.idle if k[0] == prefix]:
            for env in self.idle.pop(key):
                self.later(env.kill())

    async def close(self) -> None:
        self.memory.stop()
        if self._reaper is not None:
            self._reaper.cancel()
        envs = [e for es in self.idle.values() for e in es] + list(self.running)
        self.idle.clear()
        self.running.clear()
        await asyncio.gather(*(e.kill() for e in envs), return_exceptions=True)

    # ---- invoking ---------------------------------------------------------------------------

    async def invoke(
        self,
        launch: Launch,
        request_id: str,
        payload: bytes,
        invoked_arn: str,
        client: str | None,
        stream: ResponseStream | None = None,
    ) -> Outcome:
        """Run one invocation; with ``stream``, a response the runtime streams goes there as it
        arrives (the outcome's payload is then empty unless it failed)."""
        config = launch.config
        timeout = float(config.get("Timeout") or 3)
        started = time.monotonic()
        if _family(config.get("Runtime") or "") == "provided":
            path, problem = await asyncio.to_thread(_bootstrap, launch)
            if path is None:
                return self._invalid_entrypoint(launch, request_id, problem)
        env, cold = await self.acquire(launch)
        init_ms = None
        if cold:
            failure = await self._init(env, request_id)
            init_ms = (time.monotonic() - started) * 1000
            if failure is not None:
                init = env.init_lines
                await self.discard(env)
                return self._finish(
                    launch, env, request_id, [], failure, 0.0, init_ms, True, init=init, init_failed=True
                )
        init, env.init_lines = env.init_lines, []
        begin = time.monotonic()
        invocation = Invocation(
            request_id, payload, int(time.time() * 1000 + timeout * 1000), invoked_arn, client, stream=stream
        )
        env.give(invocation)
        done = await _settled(invocation, env.exited, timeout)
        duration = (time.monotonic() - begin) * 1000
        if invocation.result.done():
            kind, body = invocation.result.result()
            grace = OUTPUT_GRACE if env.marks_end else CUSTOM_GRACE
            if not invocation.output_done.is_set():  # (wait_for's task costs turns under load)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(invocation.output_done.wait(), grace)
        lines = invocation.lines
        if invocation.result.done():
            memory = env.max_memory_mb()
            self.release(env)
            return self._finish(
                launch, env, request_id, lines, body, duration, init_ms, kind == "error", memory, init
            )
        memory = env.max_memory_mb()
        if done and not cold and not invocation.delivered:
            # a warm process that ended after its last answer (e.g. Node's uncaught exception
            # exit) before taking this invocation: run it on a fresh environment instead
            await self.discard(env)
            self._write_lines(launch, env, init)
            return await self.invoke(launch, request_id, payload, invoked_arn, client, stream)
        if done:  # the process ended mid-invocation
            await self.discard(env)
            message = (
                f"RequestId: {request_id} Error: Runtime exited with error: {env.exit_status().describe()}"
            )
            body = orjson.dumps({"errorType": "Runtime.ExitError", "errorMessage": message})
            lines.append((self.now_ms(), message))
            return self._finish(launch, env, request_id, lines, body, duration, init_ms, True, memory, init)
        await self.discard(env)
        stamp = datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        lines.append((self.now_ms(), f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds"))
        # unverified: the payload a RequestResponse invocation answers on timeout (the newer form)
        body = orjson.dumps(
            {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds",
            }
        )
        return self._finish(launch, env, request_id, lines, body, timeout * 1000, init_ms, True, memory, init)

    def _invalid_entrypoint(self, launch: Launch, request_id: str, problem: str) -> Outcome:
        """A provided runtime without a runnable ``bootstrap``: AWS's Runtime.InvalidEntrypoint."""
        message = f"RequestId: {request_id} Error: {problem}"
        body = orjson.dumps({"errorMessage": message, "errorType": "Runtime.InvalidEntrypoint"})
        lines = [(self.now_ms(), message), (self.now_ms(), "Runtime.InvalidEntrypoint")]
        return self._finish(launch, self._new(launch), request_id, lines, body, 0.0, 0.0, error=True)

    async def _init(self, env: Environment, request_id: str) -> bytes | None:
        """Wait for the runtime to be ready; the error payload it failed with, if it did."""
        ended = await _first_event((env.ready, env.init_failed, env.exited), INIT_TIMEOUT)
        if env.ready.is_set():
            return None
        if env.init_failed.is_set():
            return env.init_error or b"{}"
        if ended:
            message = (
                f"RequestId: {request_id} Error: Runtime exited with error: {env.exit_status().describe()}"
            )
            env.init_lines.append((self.now_ms(), message))
            return orjson.dumps({"errorType": "Runtime.ExitError", "errorMessage": message})
        message = f"RequestId: {request_id} Error: Task timed out after {INIT_TIMEOUT:.2f} seconds"
        return orjson.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message})

    def _finish(
        self,
        launch: Launch,
        env: Environment,
        request_id: str,
        lines: list[tuple[int, str]],
        body: bytes,
        duration: float,
        init_ms: float | None,
        error: bool,
        memory: int = 0,
        init: list[tuple[int, str]] | None = None,
        init_failed: bool = False,
    ) -> Outcome:
        """The invocation's log (INIT_START and init output on a cold start, START, output,
        END, REPORT; with the JSON log format, platform records and filtered output instead:
        log_format.py) written to its stream; the outcome."""
        config = launch.config
        end = self.now_ms()
        first = min([t for t, _ in lines] + [end])
        settings = log_format.LogSettings.of(config)
        if settings.json:
            events = log_format.invocation(
                settings, config, request_id, init or [], lines, first, end, body, error, duration, init_ms, memory,
                init_failed,
            )  # fmt: skip
            self._write_lines(launch, env, events)
            return Outcome(body, error, [message for _, message in events], duration)
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
            f"Billed Duration: {max(1, math.ceil(duration))} ms\t"
            f"Memory Size: {config.get('MemorySize') or 128} MB\tMax Memory Used: {memory} MB\t"
        )
        if init_ms is not None:
            report += f"Init Duration: {init_ms:.2f} ms\t"
        events = [*(init or []), (first, f"START RequestId: {request_id} Version: {config['Version']}")]
        events += lines
        events += [(end, f"END RequestId: {request_id}"), (end, report)]
        self._write_lines(launch, env, events)
        return Outcome(body, error, [message for _, message in events], duration)

    def _write_lines(self, launch: Launch, env: Environment, events: list[tuple[int, str]]) -> None:
        if not events:
            return
        try:
            self.sink().put(launch.account, launch.region, launch.log_group, env.stream, events)
        except Exception:  # logs are telemetry: an invocation's answer never depends on them
            log.exception("could not write the logs of Lambda environment %s", env.stream)


@functools.cache
def _site_dirs() -> str:
    """The interpreter's site directories (Python functions start without ``site``)."""
    import site

    dirs = [*site.getsitepackages(), site.getusersitepackages()]
    return os.pathsep.join(d for d in dirs if os.path.isdir(d))


def _runtime_version(launch: Launch) -> tuple[str, str]:
    """The runtime version and its ARN INIT_START names (recorded form; the label is Cloudlet's)."""
    runtime = launch.config.get("Runtime") or ""
    m = re.match(r"^(python|nodejs|provided|[a-z]+)\.?(.*?)(?:\.x)?$", runtime)
    label = f"{m[1]}:{m[2]}" if m else runtime
    return f"{label}.v1", runtime_version_arn(launch.region, runtime)  # unverified: .v1


async def _settled(invocation: Invocation, exited: asyncio.Event, timeout: float) -> bool:
    """Wait for the invocation's answer or its process's end (at most ``timeout``); whether the
    process ended without an answer. Awaits the one future the environment settles (no task:
    under load every task costs an event-loop turn)."""
    if not invocation.result.done() and not exited.is_set():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await invocation.settled
    return exited.is_set() and not invocation.result.done()


async def _first_event(events: tuple[asyncio.Event, ...], timeout: float) -> bool:
    """Wait for any of ``events`` (at most ``timeout``); whether one came."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
    return any(e.is_set() for e in events)


async def _node_version(node: str) -> str:
    """``node --version`` without the ``v`` ("20.11.1"), "unknown" if it can't say."""
    try:
        process = await asyncio.create_subprocess_exec(
            node, "--version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
        out, _ = await asyncio.wait_for(process.communicate(), 5)
    except (OSError, TimeoutError):
        return "unknown"
    return out.decode().strip().removeprefix("v") or "unknown"


def tail(outcome: Outcome) -> bytes:
    """The last 4 KB of an invocation's log, as ``X-Amz-Log-Result`` carries it (base64'd)."""
    text = "".join(message if message.endswith("\n") else message + "\n" for message in outcome.log)
    return text.encode()[-TAIL_BYTES:]
