"""A distributed Map state: a map run whose iterations are child executions.

The state's items come from its ``ItemReader`` (``item_reader.py``) or its input (``Items``/
``ItemsPath``); ``ItemSelector`` shapes each, ``ItemBatcher`` groups them (``MaxItemsPerBatch``,
``MaxInputBytesPerBatch``, ``BatchInput``: a child's input is ``{"Items": [...], "BatchInput":
...}``). Each item (or batch) runs the item processor as a child execution of the state machine
``<machine>/<label>``, ``MaxConcurrency`` at a time (UpdateMapRun may change it while the run
goes on). Failed children beyond ``ToleratedFailureCount``/``ToleratedFailurePercentage`` (or
their ``…Path`` forms) fail the run with ``States.ExceedToleratedFailureThreshold``; a run that
fails tolerably answers ``{"Error", "Cause"}`` for the failed items (# unverified).
``ResultWriter`` writes the children's results to S3 (``<Prefix>/<map run id>/manifest.json``,
``SUCCEEDED_0.json``, ``FAILED_0.json``, ``PENDING_0.json``) and the state's result is then
``{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}``.

History, as recorded: ``MapStateStarted {length}`` (0 with an ItemReader), then the state's
settings are checked (a bad one fails the execution with no ``MapStateFailed``),
``MapRunStarted {mapRunArn}``, then ``MapRunSucceeded`` or ``MapRunFailed {error, cause}``,
then ``MapStateSucceeded`` (which does not become the previous event) or ``MapStateFailed``.
The children's events are in their own histories.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudlet.services.stepfunctions.asl import errors
from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.errors import StatesError
from cloudlet.services.stepfunctions.engine import item_reader
from cloudlet.services.stepfunctions.engine.dataflow import Step, exit_step, iso_millis
from cloudlet.services.stepfunctions.engine.history import History, Thread
from cloudlet.services.stepfunctions.engine.values import dumps
from cloudlet.services.stepfunctions.map_runs import LiveMapRun, MapRuns, child_row
from cloudlet.services.stepfunctions.store import MapRunRow

if TYPE_CHECKING:
    from cloudlet.services.stepfunctions.engine.interpreter import Interpreter, Run, Where

JSONATA = "JSONata"
TOLERANCE_EXCEEDED = "The specified tolerated failure threshold was exceeded"  # recorded
MAX_BATCH_BYTES = 256 * 1024  # MaxInputBytesPerBatch's ceiling (AWS's input limit)


@dataclass
class Settings:
    """The run's settings, evaluated once its state started."""

    max_concurrency: int = 0
    tolerated_count: int | None = None
    tolerated_percentage: float | None = None
    max_items: int | None = None
    per_batch: int | None = None
    bytes_per_batch: int | None = None
    batch_input: Any = None


@dataclass
class Child:
    """One child execution: its items' indexes, its input, how it ended."""

    index: int
    items: int
    value: Any
    arn: str = ""
    status: str = "PENDING"
    started: float = 0.0
    stopped: float | None = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _registry(self: Interpreter) -> MapRuns:
    """The interpreter's map runs (the provider's; an unstored one when there is none)."""
    found = getattr(self, "map_runs", None)
    if found is None:
        found = MapRuns(None, None)
        self.map_runs = found  # type: ignore[attr-defined]
    return found


def _number(
    state: dict[str, Any], name: str, env: Env, language: str, where: Where, kind: str = "integer"
) -> Any:
    """A numeric field given as is, as ``<name>Path`` or (JSONata) as an expression; not a
    number: States.Runtime (as recorded for the ``…Path`` forms). None when not given."""
    from cloudlet.services.stepfunctions.asl import intrinsics

    value: Any
    if f"{name}Path" in state:
        shown = state[f"{name}Path"]
        field_name = f"{name}Path"
        try:
            value = intrinsics.resolve_path(shown, env)
        except Exception:
            value = None  # unverified: a path that selects nothing
    elif name in state:
        value, field_name, shown = state[name], name, dumps(state[name])
        if language == JSONATA and isinstance(value, str):
            from cloudlet.services.stepfunctions.asl import jsonata

            if jsonata.is_expression(value):
                value = jsonata.evaluate(value, env, name, where=where)
    else:
        return None
    if isinstance(value, str):
        try:
            value = float(value) if kind == "float" else int(value.strip())
        except ValueError:
            pass
    valid = (
        isinstance(value, int | float) and not isinstance(value, bool)
        if kind == "float"
        else isinstance(value, int) and not isinstance(value, bool)
    )
    if not valid:
        text = value if isinstance(value, str) else dumps(value)
        raise StatesError(
            errors.RUNTIME,
            where.cause(
                f'The {field_name} field refers to value "{text}" which is not a valid {kind}: {shown}'
            ),
        )
    return value


def _settings(state: dict[str, Any], env: Env, language: str, where: Where) -> Settings:
    from cloudlet.services.stepfunctions.engine import fanout

    out = Settings(max_concurrency=fanout.max_concurrency(state, env, language, where))
    out.tolerated_count = _number(state, "ToleratedFailureCount", env, language, where)
    if out.tolerated_count is not None and out.tolerated_count < 0:
        raise StatesError(
            errors.RUNTIME, where.cause("ToleratedFailureCount cannot be negative.")
        )  # recorded
    out.tolerated_percentage = _number(state, "ToleratedFailurePercentage", env, language, where, "float")
    if out.tolerated_percentage is not None and not 0 <= out.tolerated_percentage <= 100:
        raise StatesError(
            errors.RUNTIME, where.cause("ToleratedFailurePercentage must be between 0 and 100.")
        )  # recorded
    reader = state.get("ItemReader")
    if reader is not None:
        out.max_items = item_reader.max_items(reader, env, language, where)
    batcher = state.get("ItemBatcher")
    if batcher is not None:
        out.per_batch = _number(batcher, "MaxItemsPerBatch", env, language, where)
        out.bytes_per_batch = _number(batcher, "MaxInputBytesPerBatch", env, language, where)
        for name, value in (
            ("MaxItemsPerBatch", out.per_batch),
            ("MaxInputBytesPerBatch", out.bytes_per_batch),
        ):
            if value is not None and value < 0:
                raise StatesError(errors.RUNTIME, where.cause(f"{name} cannot be negative."))  # unverified
        if "BatchInput" in batcher:
            out.batch_input = _batch_input(batcher["BatchInput"], env, language, where)
    return out


def _batch_input(template: Any, env: Env, language: str, where: Where) -> Any:
    if language == JSONATA:
        from cloudlet.services.stepfunctions.asl import jsonata

        return jsonata.render(template, env, "ItemBatcher/BatchInput", where=where)
    from cloudlet.services.stepfunctions.asl import payload

    return payload.render(template, env, "BatchInput", where=where)


def _batches(values: list[Any], settings: Settings) -> list[list[Any]]:
    """The items grouped as the ItemBatcher asks (a batch holds at least one item)."""
    per_batch = settings.per_batch or None
    limit = min(settings.bytes_per_batch or MAX_BATCH_BYTES, MAX_BATCH_BYTES)
    batches: list[list[Any]] = []
    current: list[Any] = []
    size = 0
    for value in values:
        item_size = len(dumps(value).encode()) + 1
        full = per_batch is not None and len(current) >= per_batch
        if current and (full or size + item_size > limit):
            batches.append(current)
            current, size = [], 0
        current.append(value)
        size += item_size
    if current:
        batches.append(current)
    return batches


async def distributed_map(
    self: Interpreter, run: Run, state: dict[str, Any], env: Env, thread: Thread, language: str, where: Where
) -> Step:
    """Run a distributed Map state (the handler ``fanout.map_state`` hands it to)."""
    from cloudlet.services.stepfunctions.engine import fanout

    reader = state.get("ItemReader")
    try:
        items = [] if reader is not None else fanout.map_items(state, env, language, where)
    except StatesError as failure:
        self.unstarted.add(failure)
        raise
    run.history.add(thread, "MapStateStarted", {"mapStateStartedEventDetails": {"length": len(items)}})
    try:
        settings = _settings(state, env, language, where)
        params: dict[str, Any] = {}
        if reader is not None:
            params = item_reader.parameters(reader, env, language, where, state.get("InputPath", "$"))
    except StatesError as failure:
        self.unstarted.add(failure)  # as recorded: no MapStateFailed
        raise
    _, _, _, region, account, _ = run.arn.split(":", 5)
    machine = str(run.context["StateMachine"]["Name"]).split("/")[0]
    # without a Label, AWS makes one up per map run (as recorded: not the state's name; its form # unverified)
    label = state.get("Label") or uuid.uuid4().hex[:8]
    run_id = str(uuid.uuid4())
    machine_arn = f"arn:aws:states:{region}:{account}:stateMachine:{machine}/{label}"
    map_run_arn = f"arn:aws:states:{region}:{account}:mapRun:{machine}/{label}:{run_id}"
    registry = _registry(self)
    row = MapRunRow(
        map_run_arn, run.context["Execution"]["Id"], machine_arn, "RUNNING", self.now(), None,
        {
            "maxConcurrency": settings.max_concurrency,
            "toleratedFailureCount": settings.tolerated_count or 0,
            "toleratedFailurePercentage": float(settings.tolerated_percentage or 0.0),
        },
    )  # fmt: skip
    live = registry.start(row)
    run.history.add(thread, "MapRunStarted", {"mapRunStartedEventDetails": {"mapRunArn": map_run_arn}})
    try:
        if reader is not None:
            limit = item_reader.check_max_items(settings.max_items)
            runtime = getattr(self.task, "runtime", None)
            items = await item_reader.read(runtime, reader, params, limit, account, region)
        values = [fanout.item_input(state, env, language, i, item, where) for i, item in enumerate(items)]
        children = _children(values, settings)
        for child in children:
            live.move(child.items, None, "pending")
            live.row.counts["itemCounts"]["total"] += child.items
            live.row.counts["executionCounts"]["total"] += 1
        await _run_children(self, run, state, language, live, children, settings, machine_arn, registry)
        results: Any = [_result(c) for c in children]
        writer = state.get("ResultWriter")
        if writer is not None:
            runtime = getattr(self.task, "runtime", None)
            results = await _write_results(
                runtime, writer, env, language, where, live, children, account, region
            )
    except StatesError as failure:
        run.history.add(
            thread,
            "MapRunFailed",
            {"mapRunFailedEventDetails": {"error": failure.error, "cause": failure.cause}},
        )
        registry.finish(live, "FAILED", self.now())
        raise  # MapStateFailed: the interpreter's, unless the state is retried
    except asyncio.CancelledError:
        registry.finish(live, "ABORTED", self.now())
        raise
    run.history.add(thread, "MapRunSucceeded")
    registry.finish(live, "SUCCEEDED", self.now())
    run.history.add(thread, "MapStateSucceeded", advance=False)
    return exit_step(state, env, language, results, where)


def _children(values: list[Any], settings: Settings) -> list[Child]:
    if settings.per_batch is None and settings.bytes_per_batch is None and settings.batch_input is None:
        return [Child(i, 1, value) for i, value in enumerate(values)]
    children = []
    for i, batch in enumerate(_batches(values, settings)):
        value: dict[str, Any] = {"Items": batch}
        if settings.batch_input is not None:
            value["BatchInput"] = settings.batch_input
        children.append(Child(i, len(batch), value))
    return children


def _result(child: Child) -> Any:
    if child.status == "SUCCEEDED":
        return child.output
    return {"Error": child.error, "Cause": child.cause}  # unverified: a tolerated failure's result


def _exceeded(live: LiveMapRun, total: int) -> bool:
    """Whether the failed items are more than the run tolerates: past ``toleratedFailureCount``
    or ``toleratedFailurePercentage`` of all items, whichever is set (neither: any failure)."""
    settings = live.row.settings
    failed = live.row.counts["itemCounts"]["failed"] + live.row.counts["itemCounts"]["timedOut"]
    count = int(settings.get("toleratedFailureCount") or 0)
    percentage = float(settings.get("toleratedFailurePercentage") or 0.0)
    if failed == 0:
        return False
    if not count and not percentage:
        return True
    if count and failed > count:
        return True
    return bool(percentage) and total > 0 and failed * 100.0 / total > percentage


async def _run_children(
    self: Interpreter,
    run: Run,
    state: dict[str, Any],
    language: str,
    live: LiveMapRun,
    children: list[Child],
    settings: Settings,
    machine_arn: str,
    registry: MapRuns,
) -> None:
    """Run the children, ``maxConcurrency`` at a time; the first failure past the tolerated
    threshold stops the others (they end ABORTED) and fails the run."""
    processor = dict(state.get("ItemProcessor") or state.get("Iterator") or {})
    config = processor.pop("ProcessorConfig", None) or {}
    processor.setdefault("QueryLanguage", language)
    express = config.get("ExecutionType") == "EXPRESS"
    total_items = sum(c.items for c in children)
    running: set[asyncio.Task[None]] = set()
    exceeded = asyncio.Event()
    queue = list(children)

    async def one(child: Child) -> None:
        await _child(self, run, processor, live, child, machine_arn, registry, express)
        if child.status in ("FAILED", "TIMED_OUT") and _exceeded(live, total_items):
            exceeded.set()

    waiters: list[asyncio.Future[Any]] = []
    try:
        while queue or running:
            limit = live.max_concurrency or len(children)
            while queue and len(running) < limit and not exceeded.is_set():
                running.add(asyncio.ensure_future(one(queue.pop(0))))
            if exceeded.is_set():
                break
            live.changed.clear()
            waiters = [asyncio.ensure_future(live.changed.wait()), asyncio.ensure_future(exceeded.wait())]
            done, _ = await asyncio.wait({*running, *waiters}, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            running -= done
            for task in done:
                if task not in waiters and not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
    finally:
        for task in [*running, *waiters]:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    if exceeded.is_set():
        raise StatesError(errors.EXCEED_TOLERATED_FAILURE_THRESHOLD, TOLERANCE_EXCEEDED)


async def _child(
    self: Interpreter,
    parent: Run,
    processor: dict[str, Any],
    live: LiveMapRun,
    child: Child,
    machine_arn: str,
    registry: MapRuns,
    express: bool,
) -> None:
    """Run one child execution to its end (ABORTED when cancelled)."""
    from cloudlet.services.stepfunctions.engine.interpreter import Run

    name = str(uuid.uuid4())
    _, _, _, region, account, _ = machine_arn.split(":", 5)
    child.arn = f"arn:aws:states:{region}:{account}:execution:{machine_arn.rpartition(':')[2]}:{name}"
    child.started = self.now()
    role = parent.context["Execution"].get("RoleArn")
    context = {
        "Execution": {
            "Id": child.arn,
            "Input": child.value,
            "Name": name,
            "RoleArn": role,
            "StartTime": iso_millis(child.started),
            "RedriveCount": 0,
        },
        "StateMachine": {"Id": machine_arn, "Name": machine_arn.rpartition(":")[2]},
    }
    history = History(self.now)
    history_run = Run(child.arn, processor, child.value, context, history)
    history.add(
        history_run.thread,
        "ExecutionStarted",
        {
            "executionStartedEventDetails": {
                "input": dumps(child.value),
                "inputDetails": {"truncated": False},
                "roleArn": role,
            }
        },
    )
    live.move(child.items, "pending", "running")
    try:
        outcome = await self.run(history_run)
    except asyncio.CancelledError:
        child.status, child.stopped = "ABORTED", self.now()
        history.add(history_run.thread, "ExecutionAborted", {"executionAbortedEventDetails": {}})
        live.move(child.items, "running", "aborted")
        _store_child(registry, child, live, processor, role, history, express)
        raise
    except Exception as exc:  # a bug fails the child, not the run
        outcome = _failed(f"Internal error: {exc}")  # unverified
    child.status, child.stopped = outcome.status, self.now()
    child.output, child.error, child.cause = outcome.output, outcome.error, outcome.cause
    ended = {"SUCCEEDED": "succeeded", "TIMED_OUT": "timedOut"}.get(outcome.status, "failed")
    live.move(child.items, "running", ended)
    live.move(child.items, None, "resultsWritten")  # as recorded: every ended child's result
    _store_child(registry, child, live, processor, role, history, express)


def _failed(cause: str) -> Any:
    from cloudlet.services.stepfunctions.engine.interpreter import Outcome

    return Outcome("FAILED", error=errors.RUNTIME, cause=cause)


def _store_child(
    registry: MapRuns,
    child: Child,
    live: LiveMapRun,
    processor: dict[str, Any],
    role: str | None,
    history: History,
    express: bool,
) -> None:
    if express:
        return
    output = dumps(child.output) if child.status == "SUCCEEDED" else None
    row = child_row(
        child.arn, live.row.machine_arn, child.status, child.started, child.stopped or child.started,
        (dumps(child.value), output), (child.error, child.cause), dumps(processor), role or "",
        {"mapRunArn": live.row.arn, "itemCount": child.items},
    )  # fmt: skip
    registry.child_ended(row, history.take())


# ---- ResultWriter -----------------------------------------------------------------------------


def _writer_parameters(writer: dict[str, Any], env: Env, language: str, where: Where) -> dict[str, Any]:
    if language == JSONATA:
        from cloudlet.services.stepfunctions.asl import jsonata

        value = jsonata.render(writer.get("Arguments") or {}, env, "ResultWriter/Arguments", where=where)
    else:
        from cloudlet.services.stepfunctions.asl import payload

        value = payload.render(writer.get("Parameters") or {}, env, "Parameters", where=where)
    return value if isinstance(value, dict) else {}


def _record(child: Child, machine_arn: str) -> dict[str, Any]:
    """A child execution as the result files list it (# unverified: AWS's exact fields)."""
    out: dict[str, Any] = {
        "ExecutionArn": child.arn,
        "Input": dumps(child.value),
        "InputDetails": {"Included": True},
        "Name": child.arn.rpartition(":")[2],
        "RedriveCount": 0,
        "StartDate": iso_millis(child.started),
        "StateMachineArn": machine_arn,
        "Status": child.status,
    }
    if child.stopped is not None:
        out["StopDate"] = iso_millis(child.stopped)
    if child.status == "SUCCEEDED":
        out["Output"] = dumps(child.output)
        out["OutputDetails"] = {"Included": True}
        out["RedriveStatus"] = "NOT_REDRIVABLE"
    elif child.status != "PENDING":
        out["Error"] = child.error
        out["Cause"] = child.cause
        out["RedriveStatus"] = "REDRIVABLE"
    return out


async def _write_results(
    runtime: Any,
    writer: dict[str, Any],
    env: Env,
    language: str,
    where: Where,
    live: LiveMapRun,
    children: list[Child],
    account: str,
    region: str,
) -> dict[str, Any]:
    """Write the result files and the manifest; the state's result (ResultWriterDetails)."""
    from cloudlet.gateway import internal
    from cloudlet.protocol.errors import ServiceError

    params = _writer_parameters(writer, env, language, where)
    bucket, prefix = params.get("Bucket"), params.get("Prefix") or ""
    if not isinstance(bucket, str) or not bucket or not isinstance(prefix, str):
        raise StatesError(errors.RESULT_WRITER_FAILED, "The ResultWriter's Parameters must give a Bucket.")
    run_id = live.row.arn.rpartition(":")[2]
    base = f"{prefix.rstrip('/')}/{run_id}" if prefix else run_id
    grouped: dict[str, list[dict[str, Any]]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
    for child in children:
        status = child.status if child.status in ("SUCCEEDED", "PENDING") else "FAILED"
        grouped[status].append(_record(child, live.row.machine_arn))

    async def put(key: str, body: bytes) -> None:
        try:
            await internal.call(
                runtime, "s3", "PutObject",
                {"Bucket": bucket, "Key": key, "Body": body, "ContentType": "application/json"},
                account=account, region=region,
            )  # fmt: skip
        except ServiceError as exc:
            raise StatesError(errors.RESULT_WRITER_FAILED, item_reader.s3_cause(exc)) from None  # unverified

    files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    for status, records in grouped.items():
        if not records:
            continue
        key = f"{base}/{status}_0.json"
        body = dumps(records).encode()
        await put(key, body)
        files[status].append({"Key": key, "Size": len(body)})
    manifest = {"DestinationBucket": bucket, "MapRunArn": live.row.arn, "ResultFiles": files}
    manifest_key = f"{base}/manifest.json"
    await put(manifest_key, dumps(manifest).encode())
    return {"MapRunArn": live.row.arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}}
