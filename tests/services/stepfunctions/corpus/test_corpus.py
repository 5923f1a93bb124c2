"""Tests of the recorded-scenario corpus itself (loader, pairing, normaliser, comparer); no server needed."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import re

import pytest

from . import compare, report, scenarios

ROOT = scenarios.reference_root()
pytestmark = pytest.mark.skipif(
    ROOT is None, reason="the recordings (../shared/aws-reference) are not available"
)

ACCOUNT = "000000000000"
MACHINE = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:sm-3f2a9c1d"
EXECUTION = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:sm-3f2a9c1d:1b4e28ba-2fa1-11d2-883f-0016d3cca427"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn-role"
WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def corpus() -> list[scenarios.Scenario]:
    return scenarios.load()


def find(corpus: list[scenarios.Scenario], snapshot: str, test: str) -> scenarios.Scenario:
    return next(s for s in corpus if s.snapshot == snapshot and s.test == test)


# ------------------------------------------------------------------------------------------- loading


def test_json5_stripper_handles_comments_trailing_commas_and_bare_keys() -> None:
    text = """{
      // a comment, with "quotes"
      "a": "x // not a comment, /* nor this */",
      b: [1, 2,],  /* block
      comment */
      "c": {"d": true,},
    }"""
    assert json.loads(scenarios.strip_json5(text)) == {
        "a": "x // not a comment, /* nor this */",
        "b": [1, 2],
        "c": {"d": True},
    }
    assert json.loads(scenarios.strip_json5('{"e": "a \\" , }", "f": null}')) == {"e": 'a " , }', "f": None}


def test_every_template_parses() -> None:
    templates = scenarios.templates()
    assert len(templates) > 300
    assert [t.path for t in templates if t.error] == []
    machines = [t for t in templates if isinstance(t.definition, dict) and "States" in t.definition]
    without_start = [t.path for t in machines if not t.start_at]
    assert without_start == ["templates/validation/statemachines/invalid_base_no_startat.json5"]  # on purpose


def test_template_placeholders_are_noted() -> None:
    by_path = {t.path: t for t in scenarios.templates()}
    assert by_path["templates/services/statemachines/lambda_invoke_resource.json5"].placeholders == (
        "__tbd__",
    )
    assert by_path["templates/evaluatejsonata/statemachines/base_task.json5"].placeholders == (
        "%LAMBDA_FUNCTION_ARN_LITERAL_PLACEHOLDER%",
    )


def test_scenario_reads_input_mode_and_steps(corpus: list[scenarios.Scenario]) -> None:
    item = find(corpus, "v2/base/test_base.snapshot.json", "test_state_fail")
    assert item.kind == "execution" and item.mode == "STANDARD"
    assert item.input == {}
    assert item.describe_execution is not None and item.describe_execution["error"] == "SomeFailure"
    assert list(item.histories) == ["get_execution_history"]
    assert item.executions[0].status == "FAILED" and item.executions[0].error == "SomeFailure"
    assert "<ExecArnPart_0idx>" in item.placeholders


def test_kinds_of_scenarios(corpus: list[scenarios.Scenario]) -> None:
    express = find(corpus, "v2/express/test_express_sync.snapshot.json", "test_base[BASE_PASS_RESULT]")
    assert (express.kind, express.mode) == ("express", "EXPRESS")
    api = find(
        corpus,
        "v2/test_sfn_api_tagging.snapshot.json",
        corpus_test(corpus, "v2/test_sfn_api_tagging.snapshot.json"),
    )
    assert (api.kind, api.mode, api.pairing) == ("api", None, "n/a")


def corpus_test(corpus: list[scenarios.Scenario], snapshot: str) -> str:
    return next(s.test for s in corpus if s.snapshot == snapshot)


def test_every_history_event_has_the_fields_the_comparer_reads(corpus: list[scenarios.Scenario]) -> None:
    checked = 0
    for item in corpus:
        for step, events in item.histories.items():
            for event in events:
                assert {"id", "previousEventId", "timestamp", "type"} <= set(event), (item.id, step, event)
                assert isinstance(event["id"], int) or event["id"] == [0], (item.id, step)
                assert isinstance(event["previousEventId"], int)
                assert event["timestamp"] == "timestamp"
                details = [k for k in event if k.endswith("EventDetails")]
                assert len(details) <= 1
                kind = event["type"]
                if kind.endswith(("StateEntered", "StateExited")):
                    expected = (
                        "stateEnteredEventDetails" if kind.endswith("Entered") else "stateExitedEventDetails"
                    )
                else:
                    expected = kind[0].lower() + kind[1:] + "EventDetails"
                assert details in ([], [expected]), (item.id, step, kind, details)
                assert set(event) - {"id", "previousEventId", "timestamp", "type", *details} == set()
                checked += 1
    assert checked > 4000


# ------------------------------------------------------------------------------------------- pairing


def test_pairing_is_deterministic() -> None:
    assert ROOT is not None
    first = scenarios._load.__wrapped__(ROOT)
    second = scenarios._load.__wrapped__(ROOT)

    def key(items: tuple[scenarios.Scenario, ...]) -> list[tuple[str, str, str, tuple[str, ...]]]:
        return [
            (s.id, p.status, p.template.path if p.template else "", p.candidates)
            for s in items
            for p in s.pairings
        ]

    assert key(first) == key(second)


KNOWN_PAIRINGS = [
    (
        "v2/base/test_base.snapshot.json",
        "test_state_fail",
        "templates/base/statemachines/raise_failure.json5",
    ),
    (
        "v2/base/test_base.snapshot.json",
        "test_state_pass_result",
        "templates/base/statemachines/pass_result.json5",
    ),
    (
        "v2/callback/test_callback.snapshot.json",
        "test_sqs_wait_for_task_token_call_chain",  # a template with bare keys
        "templates/callbacks/statemachines/sqs_wait_for_task_token_call_chain.json5",
    ),
    (
        "v2/scenarios/test_base_scenarios.snapshot.json",
        "test_parallel_state_order",
        "templates/scenarios/statemachines/parallel_state_order.json5",
    ),
    (
        "v2/logs/test_logs.snapshot.json",
        "test_base[wait_seconds_path.json5_ALL_True]",
        "templates/base/statemachines/wait_seconds_path.json5",
    ),
    (
        "v2/services/test_sqs_task_service.snapshot.json",
        "test_send_message",
        "templates/services/statemachines/sqs_send_msg.json5",
    ),
]


@pytest.mark.parametrize(("snapshot", "test", "template"), KNOWN_PAIRINGS)
def test_known_pairings(corpus: list[scenarios.Scenario], snapshot: str, test: str, template: str) -> None:
    item = find(corpus, snapshot, test)
    assert item.pairing == "paired"
    assert [t.path for t in item.templates] == [template]


def test_state_fail_runs_the_template_with_only_a_fail_state(corpus: list[scenarios.Scenario]) -> None:
    (template,) = find(corpus, "v2/base/test_base.snapshot.json", "test_state_fail").templates
    assert template.states == frozenset({("FailState", "Fail")})
    assert template.definition["States"]["FailState"]["Error"] == "SomeFailure"


def test_undecidable_runs_are_recorded_not_guessed(corpus: list[scenarios.Scenario]) -> None:
    large = find(corpus, "v2/error_handling/test_states_errors.snapshot.json", "test_start_large_input")
    assert large.pairing == "ambiguous" and large.pairings[0].template is None
    assert set(large.pairings[0].candidates) == {
        "templates/base/statemachines/decl_version_1_0.json5",
        "templates/base/statemachines/pass_result.json5",
    }
    ecs = find(corpus, "v2/services/test_ecs_task_service.snapshot.json", "test_run_task")
    assert ecs.pairing == "unmatched" and "other:ecs" not in ecs.needs and "ecs" in ecs.needs
    express = find(corpus, "v2/express/test_express_sync.snapshot.json", "test_catch")
    assert express.pairing == "unmatched"
    named = find(corpus, "v2/express/test_express_sync.snapshot.json", "test_base[BASE_RAISE_FAILURE]")
    assert named.pairing == "named"


def test_needs(corpus: list[scenarios.Scenario]) -> None:
    assert find(corpus, "v2/base/test_base.snapshot.json", "test_state_fail").flow_only
    sqs = find(corpus, "v2/callback/test_callback.snapshot.json", "test_sqs_wait_for_task_token_call_chain")
    assert {"sqs", "callback"} <= sqs.needs and not sqs.flow_only
    lam = find(
        corpus,
        "v2/services/test_lambda_task.snapshot.json",
        corpus_test(corpus, "v2/services/test_lambda_task.snapshot.json"),
    )
    assert "lambda" in lam.needs


def test_templated_templates_keep_their_placeholders(corpus: list[scenarios.Scenario]) -> None:
    templated = [s for s in corpus if s.template_substitutions]
    assert templated
    for item in templated:
        text = json.dumps([t.definition for t in item.templates])
        assert all(p in text for p in item.template_substitutions)


def test_report_numbers_add_up(corpus: list[scenarios.Scenario], capsys: pytest.CaptureFixture[str]) -> None:
    numbers = report.summary(corpus)
    assert numbers["scenarios"] == len(corpus)
    assert numbers["runs"] + numbers["api_only"] == numbers["scenarios"]
    assert (
        numbers["paired"] + numbers["named"] + numbers["ambiguous"] + numbers["unmatched"] == numbers["runs"]
    )
    assert numbers["paired"] == numbers["paired_by_history"] + numbers["paired_with_name"]
    assert numbers["paired"] > 0.9 * numbers["runs"]
    assert report.main([]) == 0
    assert f"{numbers['scenarios']} test ids" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------- normaliser


def test_normaliser_numbers_placeholders_in_order_of_first_appearance() -> None:
    other_machine = MACHINE.replace("sm-3f2a9c1d", "child-77")
    second_execution = EXECUTION.replace("1b4e28ba-2fa1-11d2-883f-0016d3cca427", "run-2")
    answer = {
        "a": {"stateMachineArn": MACHINE, "executionArn": EXECUTION},
        "b": [other_machine, second_execution, "9F1C2D3E-AAAA-BBBB-CCCC-111122223333"],
        "c": "request 9f1c2d3e-aaaa-bbbb-cccc-111122223333 then 1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "name": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    }
    normalised = compare.Normaliser()(answer)
    assert normalised["a"] == {
        "stateMachineArn": "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
        "executionArn": "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_0idx>",
    }
    assert normalised["b"] == [
        "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_1idx>",
        "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_1idx>",
        "<uuid:1>",  # uuids compare without case
    ]
    # An execution name that is a uuid keeps its execution placeholder.
    assert normalised["c"] == "request <uuid:1> then <ExecArnPart_0idx>"
    assert normalised["name"] == "<ExecArnPart_0idx>"


def test_normaliser_turns_a_live_answer_into_the_recorded_form() -> None:
    live = {
        "executionArn": EXECUTION,
        "stateMachineArn": MACHINE,
        "name": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "startDate": WHEN,
        "input": '{"a": [1, 2]}',
        "output": "[1,2]",
        "ResponseMetadata": {"RequestId": "x", "HTTPHeaders": {"date": "now"}, "HTTPStatusCode": 200},
        "events": [{"timestamp": WHEN, "executionStartedEventDetails": {"roleArn": ROLE}}],
    }
    assert compare.Normaliser()(live) == {
        "executionArn": "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_0idx>",
        "stateMachineArn": "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
        "name": "<ExecArnPart_0idx>",
        "startDate": "datetime",
        "input": {"a": [1, 2]},
        "output": "[1,2]",
        "ResponseMetadata": {"HTTPHeaders": {}, "HTTPStatusCode": 200},
        "events": [{"timestamp": "timestamp", "executionStartedEventDetails": {"roleArn": "snf_role_arn"}}],
    }


def test_normaliser_uses_known_values_first() -> None:
    normaliser = compare.Normaliser({"https://queue.local/000000000000/q-1": "<sqs_queue_url>"})
    assert normaliser({"QueueUrl": "https://queue.local/000000000000/q-1"}) == {"QueueUrl": "<sqs_queue_url>"}


# ------------------------------------------------------------------------------------------ comparer


def test_comparer_maps_every_recorded_answer_onto_itself(corpus: list[scenarios.Scenario]) -> None:
    for item in corpus:
        reports = compare.compare_steps(item.steps, copy.deepcopy(item.steps), compare.Normaliser())
        failing = {step: r.text() for step, r in reports.items() if not r.ok}
        assert not failing, (item.id, failing)


def live_state_fail() -> dict[str, object]:
    """What a server would answer for test_state_fail, in boto3's parsed form."""
    describe = {
        "executionArn": EXECUTION,
        "stateMachineArn": MACHINE,
        "name": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "status": "FAILED",
        "startDate": WHEN,
        "stopDate": WHEN,
        "input": "{}",
        "inputDetails": {"included": True},
        "error": "SomeFailure",
        "cause": "This state machines raises a 'SomeFailure' failure.",
        "redriveCount": 0,
        "redriveStatus": "REDRIVABLE",
        "ResponseMetadata": {"RequestId": "r", "HTTPStatusCode": 200, "HTTPHeaders": {"x": "y"}},
    }
    details = {"input": "{}", "inputDetails": {"truncated": False}}
    history = {
        "events": [
            {
                "timestamp": WHEN,
                "type": "ExecutionStarted",
                "id": 1,
                "previousEventId": 0,
                "executionStartedEventDetails": {**details, "roleArn": ROLE},
            },
            {
                "timestamp": WHEN,
                "type": "FailStateEntered",
                "id": 2,
                "previousEventId": 0,
                "stateEnteredEventDetails": {**details, "name": "FailState"},
            },
            {
                "timestamp": WHEN,
                "type": "ExecutionFailed",
                "id": 3,
                "previousEventId": 2,
                "executionFailedEventDetails": {
                    "error": "SomeFailure",
                    "cause": "This state machines raises a 'SomeFailure' failure.",
                },
            },
        ],
        "ResponseMetadata": {"RequestId": "r2", "HTTPStatusCode": 200, "HTTPHeaders": {}},
    }
    return {"describe_execution": describe, "get_execution_history": history}


def test_a_live_answer_matches_its_recording(corpus: list[scenarios.Scenario]) -> None:
    item = find(corpus, "v2/base/test_base.snapshot.json", "test_state_fail")
    reports = compare.compare_steps(item.steps, live_state_fail())
    assert set(reports) == {"describe_execution", "get_execution_history"}
    assert all(r.ok for r in reports.values()), {k: r.text() for k, r in reports.items()}


def test_a_different_answer_gets_a_readable_report(corpus: list[scenarios.Scenario]) -> None:
    item = find(corpus, "v2/base/test_base.snapshot.json", "test_state_fail")
    live = live_state_fail()
    live["describe_execution"]["error"] = "OtherFailure"  # type: ignore[index]
    events = live["get_execution_history"]["events"]  # type: ignore[index]
    events[2]["executionFailedEventDetails"]["cause"] = "nope"
    events.append({"timestamp": WHEN, "type": "ExecutionSucceeded", "id": 4, "previousEventId": 3})
    reports = compare.compare_steps(item.steps, live)
    assert not reports["describe_execution"].ok
    assert (
        "describe_execution.error: expected 'SomeFailure', got 'OtherFailure'"
        in reports["describe_execution"].text()
    )
    text = reports["get_execution_history"].text()
    assert "executionFailedEventDetails.cause: expected" in text and "'nope'" in text
    assert "events[id=4]: expected null, got 'ExecutionSucceeded' (not recorded)" in text


def test_a_placeholder_stands_for_one_value() -> None:
    matcher = compare.Matcher()
    assert matcher.compare({"a": "<uuid:1>", "b": "x-<uuid:1>"}, {"a": "v1", "b": "x-v1"}).ok
    assert not compare.Matcher().compare({"a": "<uuid:1>", "b": "<uuid:1>"}, {"a": "v1", "b": "v2"}).ok
    assert compare.Matcher().compare("arn:<partition>:x:<resource:1>:<resource:2>", "arn:aws:x:a:b").ok


def test_json_text_and_objects_compare_by_meaning() -> None:
    assert compare.Matcher().compare({"output": "[1,2,3]"}, {"output": "[1, 2, 3]"}).ok
    assert compare.Matcher().compare({"output": [1, 2, 3]}, {"output": "[1,2,3]"}).ok
    assert not compare.Matcher().compare({"output": "[1,2,3]"}, {"output": "[1,2]"}).ok
    assert not compare.Matcher().compare({"n": 1}, {"n": True}).ok
    assert (
        compare.Matcher()
        .compare({"t": "datetime", "u": "date"}, {"t": "datetime", "u": "2026-01-02T03:04:05Z"})
        .ok
    )


def unmasked_parallel_history(events: list[dict[str, object]], seed: int) -> list[dict[str, object]]:
    """A live-like history from a recording with masked Parallel branches: real ids (numbered on from
    the last real id), branch events in another order, and the ParallelStateSucceeded the recorder
    dropped (the id the exit skips)."""
    live: list[dict[str, object]] = []
    masked: list[dict[str, object]] = []
    last_id = 0
    for event in events:
        if isinstance(event["id"], list):
            masked.append(copy.deepcopy(event))
            continue
        if masked:
            random.Random(seed).shuffle(masked)
            for offset, branch_event in enumerate(masked, start=1):
                branch_event["id"] = last_id + offset
            live += masked
            masked = []
            if event["type"] == "ParallelStateExited":
                succeeded_id = event["id"] - 1  # type: ignore[operator]
                live.append({"type": "ParallelStateSucceeded", "timestamp": "timestamp", "id": succeeded_id})
        live.append(copy.deepcopy(event))
        last_id = event["id"]  # type: ignore[assignment]
    return live


def test_masked_parallel_branches_match_in_any_order(corpus: list[scenarios.Scenario]) -> None:
    item = find(corpus, "v2/scenarios/test_base_scenarios.snapshot.json", "test_parallel_state_order")
    recorded = item.histories["get_execution_history"]
    assert any(isinstance(e["id"], list) for e in recorded)
    live = unmasked_parallel_history(recorded, seed=7)
    assert [e["id"] for e in live] == list(range(1, len(live) + 1))  # the recorded ids leave room for these
    result = compare.compare_history(recorded, live)
    assert result.ok, result.text()
    assert any("ParallelStateSucceeded" in note for note in result.notes)
    broken = [e for e in live if not (e["type"] == "PassStateExited" and "Branch2" in json.dumps(e))]
    result = compare.compare_history(recorded, broken)
    assert not result.ok and "no live event matches this masked event" in result.text()


def test_recorded_parallel_ids_skip_the_dropped_event(corpus: list[scenarios.Scenario]) -> None:
    """What the interpreter must reproduce: the exit of a Parallel state follows a missing id."""
    item = find(corpus, "v2/scenarios/test_base_scenarios.snapshot.json", "test_parallel_state_order")
    events = item.histories["get_execution_history"]
    exited = next(e for e in events if e["type"] == "ParallelStateExited")
    ids = [e["id"] for e in events if isinstance(e["id"], int)]
    assert exited["id"] - 2 == exited["previousEventId"]
    assert not re.search("ParallelStateSucceeded", json.dumps(events))
    assert ids == sorted(ids)


JSON_TEXT_FIELDS = frozenset({"input", "output", "cause", "parameters"})


def as_live(value: object, key: str | None = None) -> object:
    """A recorded answer as the API would send it: JSON text for payloads, datetimes for dates."""
    if key == "timestamp" or value == "datetime":
        return WHEN
    if isinstance(value, dict):
        if key in JSON_TEXT_FIELDS:
            return json.dumps(value, separators=(",", ":"))
        if key == "assignedVariables":
            return {k: v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
        return {k: as_live(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [as_live(v, key) for v in value]
    return value


def test_every_recorded_history_matches_itself_sent_as_the_api_would(
    corpus: list[scenarios.Scenario],
) -> None:
    checked = 0
    for item in corpus:
        for step, events in item.histories.items():
            live_events = unmasked_parallel_history(events, seed=checked)
            live = {
                "events": as_live(live_events),
                "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}},
            }
            result = compare.compare(item.steps[step], compare.Normaliser()(live))
            assert result.ok, (item.id, step, result.text(5))
            checked += 1
    assert checked > 500
