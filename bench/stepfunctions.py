"""Step Functions (issue 17): Standard executions under load, Express sync latency, a 10,000-item Map.

Every call is a raw pre-built JSON 1.0 request (`X-Amz-Target: AWSStepFunctions.<Op>`, SigV4 scope
`.../us-east-1/states/aws4_request`) over keep-alive connections; StartSyncExecution goes to `POST /` on
the server itself (no `sync-` host prefix, which botocore would add). The machine of the first two
workloads has five states, all entered on every execution: Pass (a `Result` at `$.a`) → Choice
(`$.a.n == 1`) → Pass (`Parameters` with a `.$` path, at `$.c`) → Pass → Succeed (its `Default` branch,
a Fail state, is never taken).

- `sfn_standard_sat`: that machine as a STANDARD machine; two check executions first, one after the
  other, must succeed with the expected output (the second catches moto 5.2, which answers 500 to every
  StartExecution after a server's first); then `max(--clients, 4)` processes start executions
  back to back (saturate.py), pre-built StartExecution requests with a counter spliced into a fixed-width
  `name` (moto names every unnamed execution "None", so only the first would start).
  After the window, ListExecutions is polled until nothing is RUNNING (at most `DRAIN_MAX_S`), then the
  SUCCEEDED executions are listed in full: `executions_per_s` counts those whose `stopDate` (the
  server's clock, the same wall clock as ours) falls inside the counting window, so an execution counts
  when it *finished* inside the window, whenever it was started. `state_transitions_per_s` is that rate
  times the states entered per execution (a transition = a state entered, a `…StateEntered` history
  event; counted on one execution's GetExecutionHistory before the run, 5 here). `server_cpu_ms_per_exec`:
  the server tree's CPU in the window per execution counted. Notes: `started_per_s` (StartExecution
  answered 200 inside the window), `drain_s` (after the window until nothing was RUNNING),
  `not_succeeded` (every execution started, warm-up included, minus all those SUCCEEDED after the drain).
- `sfn_express_sync`: the same machine as an EXPRESS machine; StartSyncExecution back to back over one
  connection for `--duration` after `--warmup` (measured_loop); an answer counts when it is 200 with
  `status` SUCCEEDED and the expected output. Reports `ops_per_s`, `p50_ms`, `p99_ms`.
- `sfn_map_10k`: one STANDARD execution of an inline Map (`MaxConcurrency` 40, the item processor one
  Pass state) over 10,000 integers; `wall_s` from writing StartExecution to the first DescribeExecution
  that is no longer RUNNING (polled every `POLL_S`), `server_s` from the server's `startDate` to its
  `stopDate`; the output must be the 10,000 items in order. A peer that cannot run it as a Standard
  execution gets one StartSyncExecution of the same definition as an EXPRESS machine (`mode` note).

A peer that answers CreateStateMachine, StartExecution or StartSyncExecution with an error, or whose
executions do not succeed, gets an `unsupported` note with its answer instead of figures. moto runs
state machines only when its `stepfunctions.execute_state_machine` option is on: it is switched on
through `POST /moto-api/config` first (`moto_config` note).
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from datetime import datetime
from typing import Any

from procs import tree_cpu_seconds
from saturate import Client, sat_figures, saturate
from workloads import (
    NETWORK_ERRORS,
    Figures,
    JsonClient,
    KeepAliveConnection,
    Target,
    loop_figures,
    measured_loop,
    parse,
)

CLIENTS = 4  # the figure: four client processes
ROLE_ARN = "arn:aws:iam::000000000000:role/bench-stepfunctions"
EXEC_INPUT = '{"order": 42, "items": ["a", "b", "c"]}'
FIVE_STATES: dict[str, Any] = {
    "Comment": "Pass -> Choice -> Pass -> Pass -> Succeed",
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Result": {"n": 1}, "ResultPath": "$.a", "Next": "Route"},
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.a.n", "NumericEquals": 1, "Next": "Shape"}],
            "Default": "Reject",
        },
        "Shape": {
            "Type": "Pass",
            "Parameters": {"order.$": "$.order"},
            "ResultPath": "$.c",
            "Next": "Forward",
        },
        "Forward": {"Type": "Pass", "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Reject": {"Type": "Fail", "Error": "Bench.Unexpected", "Cause": "the Choice took its Default"},
    },
}
FIVE_STATES_OUTPUT = {**json.loads(EXEC_INPUT), "a": {"n": 1}, "c": {"order": 42}}
MAP_ITEMS = 10_000
MAP_CONCURRENCY = 40
MAP_MACHINE: dict[str, Any] = {
    "StartAt": "EachItem",
    "States": {
        "EachItem": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "MaxConcurrency": MAP_CONCURRENCY,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Keep",
                "States": {"Keep": {"Type": "Pass", "End": True}},
            },
            "End": True,
        }
    },
}
FIRST_WAIT_S = 10.0  # how long the check execution before a run may take to finish
DRAIN_MAX_S = 60.0  # how long after the window executions may take to finish
MAP_MAX_S = 180.0  # how long the Map execution may take
POLL_S = 0.01  # DescribeExecution polling interval of the Map run
LIST_PAGE = 1000  # ListExecutions maxResults


class StepFunctionsError(RuntimeError):
    """A call of these workloads was not answered as expected."""


class Unsupported(StepFunctionsError):
    """The peer does not do what the workload needs; becomes an `unsupported` note."""


class SfnClient(JsonClient):
    service = "states"
    target_prefix = "AWSStepFunctions."
    error = StepFunctionsError

    def checked(self, op: str, params: dict[str, Any]) -> dict[str, Any]:
        """Like `call`, but an error answer is `Unsupported` (the peer's answer in the message)."""
        status, body = self.post(self.request(op, params))
        if status != 200:
            raise Unsupported(f"{op} answered {status}: {_short(body)}")
        return parse(body)


def _short(body: bytes) -> str:
    answer = parse(body)
    text = answer.get("message") or answer.get("Message") or body[:300].decode("utf-8", "replace")
    if "<title>" in text:  # an HTML error page: its title
        text = text.split("<title>", 1)[1].split("</title>", 1)[0]
    text = " ".join(text.split())
    kind = str(answer.get("__type", "")).rsplit("#", 1)[-1]
    return f"{kind} {text}".strip().replace(",", ";")[:200]


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _seconds(value: Any) -> float:
    """A timestamp of a JSON answer (epoch seconds, or ISO 8601 text) as epoch seconds."""
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _moto_config(target: Target) -> str | None:
    """Switch on moto's state machine execution (off by default); what it answered, or None."""
    if target.health_path != "/moto-api/":
        return None
    body = json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode()
    head = (
        f"POST /moto-api/config HTTP/1.1\r\nHost: {target.host}:{target.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    conn = KeepAliveConnection(target)
    try:
        status, _ = conn.exchange(head.encode() + body)
    except NETWORK_ERRORS as exc:
        return f"failed ({exc})"
    finally:
        conn.close()
    return "execute_state_machine" if status in (200, 201) else f"answered {status}"


def _machine(client: SfnClient, prefix: str, definition: dict[str, Any], kind: str) -> str:
    params = {"name": _name(prefix), "definition": json.dumps(definition), "roleArn": ROLE_ARN, "type": kind}
    arn = client.checked("CreateStateMachine", params).get("stateMachineArn")
    if not arn:
        raise Unsupported("CreateStateMachine answered no stateMachineArn")
    return str(arn)


def _wait_done(client: SfnClient, arn: str, limit_s: float, every_s: float = 0.02) -> dict[str, Any]:
    """DescribeExecution until the execution is no longer RUNNING; its last description."""
    deadline = time.monotonic() + limit_s
    while True:
        answer = client.checked("DescribeExecution", {"executionArn": arn})
        if answer.get("status") != "RUNNING" or time.monotonic() > deadline:
            return answer
        time.sleep(every_s)


def _must_succeed(answer: dict[str, Any], what: str) -> None:
    status = answer.get("status")
    if status != "SUCCEEDED":
        detail = f" {answer.get('error', '')}: {answer.get('cause', '')}" if status == "FAILED" else ""
        raise Unsupported(f"{what} ended {status}{detail}"[:200].replace(",", ";"))


def _states_entered(client: SfnClient, arn: str) -> int:
    """The `…StateEntered` events of one execution's history (all its pages)."""
    entered, token = 0, None
    while True:
        params: dict[str, Any] = {"executionArn": arn, "maxResults": LIST_PAGE}
        if token:
            params["nextToken"] = token
        page = client.checked("GetExecutionHistory", params)
        entered += sum(str(e.get("type", "")).endswith("StateEntered") for e in page.get("events", []))
        token = page.get("nextToken")
        if not token:
            return entered


def _executions(
    client: SfnClient, machine: str, status: str, limit: int | None = None
) -> list[dict[str, Any]]:
    """ListExecutions of one status, every page (or the first `limit` items)."""
    found: list[dict[str, Any]] = []
    token = None
    while True:
        params: dict[str, Any] = {"stateMachineArn": machine, "statusFilter": status, "maxResults": LIST_PAGE}
        if limit is not None:
            params["maxResults"] = limit
        if token:
            params["nextToken"] = token
        page = client.checked("ListExecutions", params)
        found += page.get("executions", [])
        token = page.get("nextToken")
        if not token or (limit is not None and len(found) >= limit):
            return found


def _unsupported(exc: Unsupported, **notes: str) -> Figures:
    return {"unsupported": str(exc), **{k: v for k, v in notes.items() if v}}


# --- sfn_standard_sat ----------------------------------------------------------------------------


def sfn_standard_sat(target: Target) -> Figures:
    target = dataclasses.replace(target, clients=max(target.clients, CLIENTS))
    moto = _moto_config(target) or ""
    setup = SfnClient(target, timeout=30.0)
    try:
        try:
            machine = _machine(setup, "bench-standard", FIVE_STATES, "STANDARD")
            for check in ("bench-check-1", "bench-check-2"):  # moto 5.2 runs only a server's first
                params = {"stateMachineArn": machine, "input": EXEC_INPUT, "name": check}
                try:
                    first = setup.checked("StartExecution", params)
                except Unsupported as exc:
                    raise Unsupported(f"{check}: {exc}") from None
                done = _wait_done(setup, first["executionArn"], FIRST_WAIT_S)
                _must_succeed(done, f"the check execution {check}")
                if json.loads(done.get("output") or "null") != FIVE_STATES_OUTPUT:
                    raise Unsupported(f"the check execution's output was {done.get('output')!r:.120}")
            entered = _states_entered(setup, first["executionArn"])
        except Unsupported as exc:
            return _unsupported(exc, moto_config=moto)

        def make(index: int) -> Client:
            own = SfnClient(target, timeout=10.0)
            name = f"bench-{index}-{0:09d}"  # a fixed width, so the request's length never changes
            params = {"stateMachineArn": machine, "input": EXEC_INPUT, "name": name}
            head, tail = own.request("StartExecution", params).split(name.encode())
            marks = {"started": 0, "prev_ns": 0, "last_ns": 0}
            prefix = f"bench-{index}-".encode()
            counter = iter(range(1, 10**9))

            def step() -> bool:  # each execution with a name of its own (moto names all others "None")
                status, body = own.post(b"%s%s%09d%s" % (head, prefix, next(counter), tail))
                marks["prev_ns"], marks["last_ns"] = marks["last_ns"], time.monotonic_ns()
                ok = status == 200 and b'"executionArn"' in body
                marks["started"] += ok
                return ok

            return Client(step, totals=lambda: dict(marks), close=own.close)

        wall_minus_mono = time.time() - time.monotonic()
        result = saturate(target, make)
        # The window ended between the last step each client finished before it and the first it
        # finished after it (the clients stop at their first step past the end).
        end_ns = (
            max(c["prev_ns"] for c in result.per_client) + min(c["last_ns"] for c in result.per_client)
        ) / 2
        end = end_ns / 1e9 + wall_minus_mono
        start = end - result.window_s
        drain_from = time.monotonic()
        while _executions(setup, machine, "RUNNING", limit=1) and time.monotonic() - drain_from < DRAIN_MAX_S:
            time.sleep(0.1)
        drain_s = time.monotonic() - drain_from
        succeeded = _executions(setup, machine, "SUCCEEDED")
    finally:
        setup.close()
    in_window = sum(
        start <= _seconds(e["stopDate"]) < end for e in succeeded if e.get("stopDate") is not None
    )
    rate = in_window / result.window_s
    figures = sat_figures(result, "started_per_s")
    return {
        "executions_per_s": rate,
        "state_transitions_per_s": rate * entered,
        "server_cpu_ms_per_exec": 1000 * result.server_cpu_s / in_window if in_window else float("nan"),
        "server_cpu_util": figures["server_cpu_util"],
        "started_per_s": figures["started_per_s"],
        "errors": figures["errors"],
        "client_cpu_util": figures["client_cpu_util"],
        "other_cpu_util": figures["other_cpu_util"],
        "cpu_steal": figures["cpu_steal"],
        "clients": result.clients,
        "states_entered": entered,
        "drain_s": drain_s,
        "not_succeeded": result.totals.get("started", 0) + 2 - len(succeeded),
        **({"moto_config": moto} if moto else {}),
    }


# --- sfn_express_sync ----------------------------------------------------------------------------


def _sync_request(client: SfnClient, machine: str, text: str) -> bytes:
    return client.request("StartSyncExecution", {"stateMachineArn": machine, "input": text})


def sfn_express_sync(target: Target) -> Figures:
    moto = _moto_config(target) or ""
    client = SfnClient(target, timeout=30.0)
    try:
        try:
            machine = _machine(client, "bench-express", FIVE_STATES, "EXPRESS")
            payload = _sync_request(client, machine, EXEC_INPUT)
            began = time.perf_counter()
            status, body = client.post(payload)
            first_ms = 1000 * (time.perf_counter() - began)
            if status != 200:
                raise Unsupported(f"StartSyncExecution answered {status}: {_short(body)}")
            answer = parse(body)
            _must_succeed(answer, "StartSyncExecution")
            if json.loads(answer.get("output") or "null") != FIVE_STATES_OUTPUT:
                raise Unsupported(f"StartSyncExecution's output was {answer.get('output')!r:.120}")
        except Unsupported as exc:
            return _unsupported(exc, moto_config=moto)

        def call() -> bool:
            status, body = client.post(payload)
            return status == 200 and b'"SUCCEEDED"' in body

        result = measured_loop(target, call, client.conn.reset_count)
    finally:
        client.close()
    figures = loop_figures(result, "ops_per_s")
    return {
        **figures,
        "first_ms": first_ms,
        "connections": client.conn.connects,
        **({"moto_config": moto} if moto else {}),
    }


# --- sfn_map_10k ---------------------------------------------------------------------------------


def sfn_map_10k(target: Target) -> Figures:
    moto = _moto_config(target) or ""
    items = list(range(MAP_ITEMS))
    text = json.dumps({"items": items})
    client = SfnClient(target, timeout=MAP_MAX_S)
    try:
        try:
            return {**_map_standard(target, client, text, items), **({"moto_config": moto} if moto else {})}
        except Unsupported as standard:
            try:
                figures = _map_express_sync(target, client, text, items)
            except Unsupported as express:
                return _unsupported(
                    Unsupported(f"standard: {standard}; express sync: {express}"), moto_config=moto
                )
            return {**figures, "standard": str(standard), **({"moto_config": moto} if moto else {})}
    finally:
        client.close()


def _check_map_output(output: Any, items: list[int]) -> None:
    if output != items:
        shown = output if not isinstance(output, list) else f"a list of {len(output)} items"
        raise Unsupported(f"the Map's output was {shown!r:.120}, not the {len(items)} items")


def _map_standard(target: Target, client: SfnClient, text: str, items: list[int]) -> Figures:
    machine = _machine(client, "bench-map", MAP_MACHINE, "STANDARD")
    cpu_before = tree_cpu_seconds(target.pid)
    began = time.perf_counter()
    params = {"stateMachineArn": machine, "input": text, "name": "bench-map"}
    arn = client.checked("StartExecution", params)["executionArn"]
    polls = 0
    while True:
        answer = client.checked("DescribeExecution", {"executionArn": arn})
        polls += 1
        if answer.get("status") != "RUNNING":
            wall = time.perf_counter() - began
            break
        if time.perf_counter() - began > MAP_MAX_S:
            client.post(client.request("StopExecution", {"executionArn": arn}))
            raise Unsupported(f"the Map execution still RUNNING after {MAP_MAX_S:.0f} s")
        time.sleep(POLL_S)
    server_cpu = tree_cpu_seconds(target.pid) - cpu_before
    _must_succeed(answer, "the Map execution")
    _check_map_output(json.loads(answer.get("output") or "null"), items)
    server_s = _seconds(answer["stopDate"]) - _seconds(answer["startDate"])
    return {
        "wall_s": wall,
        "server_s": server_s,
        "server_cpu_s": server_cpu,
        "items_per_s": len(items) / wall,
        "polls": polls,
        "mode": "standard",
    }


def _map_express_sync(target: Target, client: SfnClient, text: str, items: list[int]) -> Figures:
    machine = _machine(client, "bench-map-express", MAP_MACHINE, "EXPRESS")
    cpu_before = tree_cpu_seconds(target.pid)
    began = time.perf_counter()
    status, body = client.post(_sync_request(client, machine, text))
    wall = time.perf_counter() - began
    server_cpu = tree_cpu_seconds(target.pid) - cpu_before
    if status != 200:
        raise Unsupported(f"StartSyncExecution answered {status}: {_short(body)}")
    answer = parse(body)
    _must_succeed(answer, "the Map express execution")
    _check_map_output(json.loads(answer.get("output") or "null"), items)
    return {
        "wall_s": wall,
        "server_s": _seconds(answer["stopDate"]) - _seconds(answer["startDate"]),
        "server_cpu_s": server_cpu,
        "items_per_s": len(items) / wall,
        "mode": "express_sync",
    }
