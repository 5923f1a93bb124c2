"""Definition validation (``asl/validation.py``, ``asl/schema.py``, ``asl/resources.py``).

AWS's recordings first: every template AWS accepted validates clean, and the recorded failures
give the recorded diagnostics and ``InvalidDefinition`` messages. Then the rules reported by
users against AWS, then the ones whose wording is ours (# unverified in the source).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.stepfunctions.asl.definition import check, validate

from .recorded import REFERENCE
from .templates import TEMPLATES, all_templates, to_json

# Templates the recording tests expect AWS to refuse, or that need a substitution they make.
REFUSED = {
    "assign/statemachines/task_retry_reference_exception.json5",  # paths in Resource/Retry fields
    "base/statemachines/invalid_der.json5",
    "credentials/statemachines/empty_credentials.json5",
    "credentials/statemachines/invalid_credentials_field.json5",
    "scenarios/statemachines/escape_sequences_illegal_intrinsic_function.json5",
    "scenarios/statemachines/escape_sequences_illegal_intrinsic_function_2.json5",
    "scenarios/statemachines/map_state_label_empty_fail.json5",
    "scenarios/statemachines/map_state_label_invalid_char_fail.json5",
    "scenarios/statemachines/map_state_label_too_long_fail.json5",
    "services/statemachines/invalid_integration_dynamodb_query.json5",
    "services/statemachines/lambda_list_functions.json5",  # no optimized lambda:listFunctions (unverified)
    "test_state/statemachines/base_invalid_state_definition.json5",
    "test_state/statemachines/base_map_state_machine_choice_fail.json5",
    "validation/statemachines/invalid_base_no_startat.json5",
    "validation/statemachines/invalid_downgrade_query_language.json5",
}
FILLED_BY_TESTS = {
    "choiceoperators/statemachines/template.json5",  # %ComparisonOperatorType%
    "errorhandling/statemachines/task_lambda_invoke_catch_tbd.json5",  # ErrorEquals filled in
    "errorhandling/statemachines/task_service_lambda_invoke_catch_tbd.json5",
}


def _relative(path: Path) -> str:
    return path.relative_to(TEMPLATES).as_posix()


def _accepted() -> list[Any]:
    cases = []
    for path in all_templates():
        name = _relative(path)
        if name in REFUSED or name in FILLED_BY_TESTS:
            continue
        document = json.loads(to_json(path))
        if "StartAt" not in document and "Type" in document:
            continue  # a single state for TestState
        cases.append(pytest.param(path, id=name))
    return cases


def _diagnostics(text: str, machine_type: str = "STANDARD") -> list[dict[str, str]]:
    return [d.to_dict() for d in validate(text, machine_type)]


def _message(text: str, machine_type: str = "STANDARD") -> str:
    with pytest.raises(ServiceError) as caught:
        check(text, machine_type)
    assert caught.value.code == "InvalidDefinition" and caught.value.status == 400
    return caught.value.message


def _machine(states: dict[str, Any], start: str | None = None, **top: Any) -> str:
    return json.dumps({"StartAt": start or next(iter(states)), "States": states, **top})


@pytest.mark.parametrize("path", _accepted())
def test_accepted_templates_validate_clean(path: Path) -> None:
    assert _diagnostics(to_json(path)) == []


# ---------------------------------------------------------------------------------- recorded


def _validation_snapshot() -> dict[str, Any]:
    path = REFERENCE / "v2" / "test_sfn_api_validation.snapshot.json"
    if not path.exists():
        pytest.skip("recording test_sfn_api_validation is not available")
    return json.loads(path.read_text())


_VALIDATION_TEMPLATES = {
    "VALID_BASE_PASS": "validation/statemachines/valid_base_pass.json5",
    "INVALID_BASE_NO_STARTAT": "validation/statemachines/invalid_base_no_startat.json5",
    "INVALID_DOWNGRADE_QUERY_LANGUAGE": "validation/statemachines/invalid_downgrade_query_language.json5",
    "VALID_QUERY_LANGUAGE_PASS": "validation/statemachines/valid_query_language_pass.json5",
}
_ILLEGAL_WFTT = {
    "StartAt": "SendMessageWithWait",
    "States": {
        "SendMessageWithWait": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "q", "MessageBody": {"TaskToken.$": "$$.Task.Token"}},
            "End": True,
        }
    },
}
_NOT_A_DEFINITION = {"EMPTY_STRING": "", "NOT_A_DEF": "not a definition", "EMPTY_DICT": "{}"}


def test_recorded_validation_responses() -> None:
    checked = 0
    for key, value in _validation_snapshot().items():
        case = key.rsplit("[", 1)[1].rstrip("]")
        machine_type = "EXPRESS" if "type_express" in key else "STANDARD"
        if case in _NOT_A_DEFINITION:
            text = _NOT_A_DEFINITION[case]
        elif case == "ILLEGAL_WFTT":
            text = json.dumps(_ILLEGAL_WFTT)
        else:
            text = to_json(TEMPLATES / _VALIDATION_TEMPLATES[case])
        response = value["recorded-content"]["validation_response"]
        assert _diagnostics(text, machine_type) == response["diagnostics"], key
        assert response["result"] == ("FAIL" if response["diagnostics"] else "OK")
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    ("template", "machine_type", "message"),
    [
        (
            "base/statemachines/invalid_der.json5",  # test_sfn_api::test_create_delete_invalid_sm
            "STANDARD",
            "SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /",
        ),
        (
            "credentials/statemachines/empty_credentials.json5",
            "STANDARD",
            "SCHEMA_VALIDATION_FAILED: The field 'RoleArn' is required but was missing at /States/State0/Credentials",
        ),
        (
            "credentials/statemachines/invalid_credentials_field.json5",
            "STANDARD",
            "SCHEMA_VALIDATION_FAILED: The field 'RoleArn' is required but was missing at /States/State0/Credentials",
        ),
        (
            "services/statemachines/invalid_integration_dynamodb_query.json5",
            "STANDARD",
            "SCHEMA_VALIDATION_FAILED: The resource provided arn:aws:states:::dynamodb:query is not recognized. The "
            "value is not a valid resource ARN, or the resource is not available in this region. at /States/Query/Resource",
        ),
        (
            "scenarios/statemachines/escape_sequences_illegal_intrinsic_function.json5",
            "STANDARD",
            "SCHEMA_VALIDATION_FAILED: The value for the field 'parsed.$' must be a valid JSONPath or a valid intrinsic "
            "function call at /States/IntrinsicEscape/Parameters",
        ),
        (
            "scenarios/statemachines/escape_sequences_illegal_intrinsic_function_2.json5",
            "STANDARD",
            "SCHEMA_VALIDATION_FAILED: The value for the field 'parsed.$' must be a valid JSONPath or a valid intrinsic "
            "function call at /States/IntrinsicEscape/Parameters",
        ),
        (
            "test_state/statemachines/base_invalid_state_definition.json5",
            "STANDARD",
            "SCHEMA_VALIDATION_FAILED: The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, "
            "Fail, Choice, Parallel, Map] at /States/ExistingButInvalidState/Type",
        ),
        (
            "callbacks/statemachines/sns_publish_wait_for_task_token.json5",  # test_sfn_api_express
            "EXPRESS",
            "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service "
            "integration  at /States/Publish/Resource",
        ),
        (
            "callbacks/statemachines/sfn_start_execution_sync.json5",
            "EXPRESS",
            "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at "
            "/States/StartExecution/Resource",
        ),
    ],
)
def test_recorded_create_failures(template: str, machine_type: str, message: str) -> None:
    path = TEMPLATES / template
    if not path.exists():
        pytest.skip(f"template {template} is not available")
    assert _message(to_json(path), machine_type) == f"Invalid State Machine Definition: '{message}'"


def test_recorded_express_activity() -> None:
    text = _machine(
        {
            "ActivityTask": {
                "Type": "Task",
                "Resource": "arn:aws:states:us-east-1:111111111111:activity:a",
                "End": True,
            }
        }
    )
    assert _message(text, "EXPRESS") == (
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support "
        "Activity ARN at /States/ActivityTask/Resource'"
    )
    assert validate(text) == []


def test_recorded_empty_branches() -> None:
    text = _machine({"StateName": {"Type": "Parallel", "Branches": [], "End": True}})
    assert (
        _message(text)
        == "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/StateName/Branches'"
    )


@pytest.mark.parametrize(
    "timestamp",
    [
        "2016-03-14 01:59:00Z",
        "2016-03-14T01:59:00",
        "2016-13-14T01:59:00Z",
        "2016-03-14T25:59:00Z",
        "20160314T015900Z",
        "{% $now() %}",
    ],
)
def test_recorded_wait_timestamp_invalid(timestamp: str) -> None:
    # scenarios/test_base_scenarios::test_wait_timestamp_invalid (NO_T, NO_Z, INVALID_DATE, INVALID_TIME, ISO, JSONATA)
    text = _machine({"WaitUntil": {"Type": "Wait", "Timestamp": timestamp, "End": True}})
    assert _message(text) == (
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: String does not match RFC3339 timestamp at "
        "/States/WaitUntil/Timestamp'"
    )


# ---------------------------------------------------------------------------------- transitions (reported by users)


def test_dangling_targets_and_unreachable_states_join_in_one_message() -> None:
    text = _machine({"pass1": {"Type": "Pass", "Next": "pass3"}, "pass2": {"Type": "Pass", "End": True}})
    assert _message(text) == (
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at "
        '/States/pass1/Next, MISSING_TRANSITION_TARGET: State "pass2" is not reachable. at /States/pass2\''
    )


def test_no_terminal_state() -> None:
    loop = {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}
    assert _diagnostics(_machine(loop)) == [
        {"severity": "ERROR", "code": "MISSING_END_STATE", "message": "Workflow has no terminal state"}
    ]
    assert (
        _message(_machine(loop))
        == "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'"
    )
    # An unreachable state is not reported then ...
    assert len(validate(_machine({**loop, "C": {"Type": "Pass", "Next": "A"}}))) == 1
    # ... but an unreachable terminal state makes it the only problem.
    assert _diagnostics(_machine({**loop, "C": {"Type": "Pass", "End": True}})) == [
        {
            "severity": "ERROR",
            "code": "MISSING_TRANSITION_TARGET",
            "message": 'State "C" is not reachable.',
            "location": "/States/C",
        }
    ]
    nope = [d["code"] for d in _diagnostics(_machine({"A": {"Type": "Pass", "Next": "NOPE"}}))]
    assert nope == ["MISSING_TRANSITION_TARGET", "MISSING_END_STATE"]


def test_every_transition_field_is_a_next_target() -> None:
    text = _machine(
        {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "X1"}],
                "Default": "X2",
            },
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "X3"}],
                "End": True,
            },
        }
    )
    found = [(d.message, d.location) for d in validate(text) if d.code == "MISSING_TRANSITION_TARGET"]
    assert found[:3] == [
        ("Missing 'Next' target: X1", "/States/C/Choices[0]/Next"),
        ("Missing 'Next' target: X2", "/States/C/Default"),
        ("Missing 'Next' target: X3", "/States/T/Catch[0]/Next"),
    ]
    assert ('State "T" is not reachable.', "/States/T") in found


def test_nested_blocks_are_checked_in_their_own_scope() -> None:
    text = _machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "After"}}}],
                "Next": "After",
            },
            "After": {"Type": "Succeed"},
        }
    )
    found = [(d.code, d.message, d.location) for d in validate(text)]
    assert (
        "MISSING_TRANSITION_TARGET",
        "Missing 'Next' target: After",
        "/States/P/Branches[0]/States/B/Next",
    ) in found


def test_choice_rule_without_next() -> None:
    # Reported (CloudFormation): "These fields are required: [Next] at /States/Choice/Ch…"
    text = _machine(
        {
            "Choice": {
                "Type": "Choice",
                "Choices": [{"Variable": "$", "StringMatches": "Test"}],
                "Default": "S",
            },
            "S": {"Type": "Succeed"},
        }
    )
    assert _diagnostics(text)[0] == {
        "severity": "ERROR",
        "code": "SCHEMA_VALIDATION_FAILED",
        "message": "These fields are required: [Next]",
        "location": "/States/Choice/Choices[0]",
    }


# ---------------------------------------------------------------------------------- query languages (reported by users)


def test_jsonata_field_in_a_jsonpath_state() -> None:
    text = _machine({"P": {"Type": "Pass", "Output": {"a": 1}, "End": True}})
    assert _diagnostics(text) == [
        {
            "severity": "ERROR",
            "code": "SCHEMA_VALIDATION_FAILED",
            "message": "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage",
            "location": "/States/P",
        }
    ]


def test_map_language_does_not_reach_its_processor() -> None:
    inner = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% 1 %}", "End": True}}}
    text = _machine({"M": {"Type": "Map", "QueryLanguage": "JSONata", "ItemProcessor": inner, "End": True}})
    assert [d.location for d in validate(text)] == ["/States/M/ItemProcessor/States/P"]
    with_language = {**inner, "QueryLanguage": "JSONata"}
    text = _machine({"M": {"Type": "Map", "ItemProcessor": with_language, "End": True}})
    assert (validate(text)[0].message, validate(text)[0].location) == (
        "Field 'QueryLanguage' is not supported",
        "/States/M/ItemProcessor",
    )


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("Pass", "TimeoutSeconds", 5),
        ("Map", "TimeoutSeconds", 5),
        ("Parallel", "TimeoutSeconds", 5),
        ("Pass", "Catch", []),
        ("Wait", "Retry", []),
    ],
)
def test_fields_a_state_type_does_not_support(kind: str, field: str, value: Any) -> None:
    state: dict[str, Any] = {"Type": kind, field: value, "End": True}
    if kind == "Wait":
        state["Seconds"] = 1
    if kind == "Map":
        state["ItemProcessor"] = {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}
    if kind == "Parallel":
        state["Branches"] = [{"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}]
    found = [(d.code, d.message, d.location) for d in validate(_machine({"S": state}))]
    assert found == [("SCHEMA_VALIDATION_FAILED", f"Field '{field}' is not supported", "/States/S")]


# ---------------------------------------------------------------------------------- JSON text


def test_invalid_json() -> None:
    (found,) = validate('{"StartAt": "A",\n  oops}')
    assert found.code == "INVALID_JSON_DESCRIPTION"
    assert found.location == '[Source: (String)"{"StartAt": "A",\n  oops}"; line: 2, column: 7]'
    assert found.message.startswith("Unrecognized token 'oops': was expecting")
    assert _message("not a definition").startswith(
        "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: Unrecognized token 'not'"
    )
    assert [d.code for d in validate("[1]")] == ["SCHEMA_VALIDATION_FAILED"]
    assert [d.code for d in validate('{"StartAt": NaN}')] == ["INVALID_JSON_DESCRIPTION"]
    # Jackson reads the first value and ignores the rest (# unverified against AWS).
    assert validate('{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}} trailing') == []


def test_duplicate_state_names() -> None:
    same_block = '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "A": {"Type": "Succeed"}}}'
    assert [d.code for d in validate(same_block)] == ["DUPLICATE_STATE_NAME"]
    across = _machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}],
                "Next": "X",
            },
            "X": {"Type": "Succeed"},
        }
    )
    assert [(d.code, d.location) for d in validate(across)] == [
        ("DUPLICATE_STATE_NAME", "/States/P/Branches[0]/States/X")
    ]


# ---------------------------------------------------------------------------------- our wording (unverified)


def _codes(states: dict[str, Any], **top: Any) -> list[tuple[str, str | None]]:
    return [(d.code, d.location) for d in validate(_machine(states, **top))]


def _task(**fields: Any) -> dict[str, Any]:
    return {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True, **fields}}


def test_root_fields() -> None:
    assert _codes({"A": {"Type": "Succeed"}}, Foo=1) == [("SCHEMA_VALIDATION_FAILED", "/")]
    assert _codes({"A": {"Type": "Succeed"}}, TimeoutSeconds=0) == [
        ("SCHEMA_VALIDATION_FAILED", "/TimeoutSeconds")
    ]
    assert _codes({"A": {"Type": "Succeed"}}, QueryLanguage="SQL") == [
        ("SCHEMA_VALIDATION_FAILED", "/QueryLanguage")
    ]
    assert (
        next(d.location for d in validate('{"StartAt": "B", "States": {"A": {"Type": "Succeed"}}}'))
        == "/StartAt"
    )
    assert [d.code for d in validate('{"StartAt": "A", "States": {}}')] == ["SCHEMA_VALIDATION_FAILED"]


def test_state_names_and_types() -> None:
    assert _codes({"x" * 81: {"Type": "Succeed"}}) == [("INVALID_STATE_NAME", "/States/" + "x" * 81)]
    assert validate(_machine({"x" * 80: {"Type": "Succeed"}})) == []
    assert _codes({"A": {"End": True}}) == [("SCHEMA_VALIDATION_FAILED", "/States/A")]


def test_next_and_end() -> None:
    assert _codes({"A": {"Type": "Pass"}}) == [("SCHEMA_VALIDATION_FAILED", "/States/A")]
    assert _codes({"A": {"Type": "Pass", "End": False}}) == [("SCHEMA_VALIDATION_FAILED", "/States/A")]
    assert _codes({"A": {"Type": "Pass", "End": True, "Next": "B"}, "B": {"Type": "Succeed"}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/A")
    ]
    assert _codes({"A": {"Type": "Succeed", "Next": "B"}, "B": {"Type": "Succeed"}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/A")
    ]
    assert _codes({"A": {"Type": "Fail", "End": True}}) == [("SCHEMA_VALIDATION_FAILED", "/States/A")]


@pytest.mark.parametrize(
    ("retrier", "location"),
    [
        ({"ErrorEquals": []}, "/States/T/Retry[0]/ErrorEquals"),
        ({"ErrorEquals": ["States.ALL", "X"]}, "/States/T/Retry[0]/ErrorEquals"),
        ({"ErrorEquals": ["E"], "IntervalSeconds": 0}, "/States/T/Retry[0]/IntervalSeconds"),
        ({"ErrorEquals": ["E"], "IntervalSeconds": 1.5}, "/States/T/Retry[0]/IntervalSeconds"),
        ({"ErrorEquals": ["E"], "MaxAttempts": -1}, "/States/T/Retry[0]/MaxAttempts"),
        ({"ErrorEquals": ["E"], "BackoffRate": 0.5}, "/States/T/Retry[0]/BackoffRate"),
        ({"ErrorEquals": ["E"], "MaxDelaySeconds": 0}, "/States/T/Retry[0]/MaxDelaySeconds"),
        ({"ErrorEquals": ["E"], "JitterStrategy": "SOME"}, "/States/T/Retry[0]/JitterStrategy"),
        ({"ErrorEquals": ["E"], "Foo": 1}, "/States/T/Retry[0]"),
        ({"IntervalSeconds": 1}, "/States/T/Retry[0]"),
    ],
)
def test_bad_retriers(retrier: dict[str, Any], location: str) -> None:
    assert _codes(_task(Retry=[retrier])) == [("SCHEMA_VALIDATION_FAILED", location)]


def test_good_retriers() -> None:
    retriers = [
        {
            "ErrorEquals": ["E"],
            "IntervalSeconds": 1,
            "MaxAttempts": 0,
            "BackoffRate": 1,
            "MaxDelaySeconds": 10,
            "JitterStrategy": "FULL",
        },
        {"ErrorEquals": ["States.ALL"], "BackoffRate": 1.5, "JitterStrategy": "NONE", "Comment": "c"},
    ]
    assert validate(_machine(_task(Retry=retriers))) == []


def test_states_all_must_be_last() -> None:
    retriers = [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}]
    assert _codes(_task(Retry=retriers)) == [("SCHEMA_VALIDATION_FAILED", "/States/T/Retry[0]/ErrorEquals")]
    catchers = [{"ErrorEquals": ["States.ALL"], "Next": "F"}, {"ErrorEquals": ["E"], "Next": "F"}]
    states = {**_task(Catch=catchers), "F": {"Type": "Fail"}}
    assert _codes(states) == [("SCHEMA_VALIDATION_FAILED", "/States/T/Catch[0]/ErrorEquals")]


def test_catchers() -> None:
    fail = {"F": {"Type": "Fail"}}
    assert _codes({**_task(Catch=[{"ErrorEquals": ["E"]}]), **fail}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/T/Catch[0]")
    ]
    bad_path = [{"ErrorEquals": ["E"], "Next": "F", "ResultPath": "$.a[*]"}]
    assert _codes({**_task(Catch=bad_path), **fail}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/T/Catch[0]/ResultPath")
    ]
    jsonata = [{"ErrorEquals": ["E"], "Next": "F", "ResultPath": "$.a"}]
    assert _codes({**_task(Catch=jsonata), **fail}, QueryLanguage="JSONata") == [
        ("SCHEMA_VALIDATION_FAILED", "/States/T/Catch[0]")
    ]


def test_task_timeouts_and_resources() -> None:
    assert validate(_machine(_task(TimeoutSeconds=10, HeartbeatSeconds=5))) == []
    assert _codes(_task(TimeoutSeconds=0)) == [("SCHEMA_VALIDATION_FAILED", "/States/T/TimeoutSeconds")]
    assert _codes(_task(TimeoutSeconds=5, HeartbeatSeconds=5)) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/T/HeartbeatSeconds")
    ]
    assert _codes(_task(TimeoutSeconds=5, TimeoutSecondsPath="$.t")) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/T")
    ]
    assert validate(_machine(_task(TimeoutSeconds="{% 5 %}")), "STANDARD") != []  # JSONata only in JSONata
    assert validate(_machine(_task(TimeoutSeconds="{% 5 %}"), QueryLanguage="JSONata")) == []
    good = [
        "arn:aws:lambda:us-east-1:111111111111:function:f",
        "arn:aws:lambda:us-east-1:111111111111:function:f:live",
        "arn:aws:states:eu-west-1:111111111111:activity:act",
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "arn:aws:states:::states:startExecution.sync:2",
        "arn:aws:states:::aws-sdk:s3:listBuckets",
        "arn:aws-cn:states:::lambda:invoke",
    ]
    for resource in good:
        assert validate(_machine(_task(Resource=resource))) == [], resource
    for resource in [
        "arn:aws:states:::lambda:invoke.foo",
        "arn:aws:lambda:us-east-1:1:function:f",
        "f",
        "arn:aws:states:::aws-sdk:s3",
    ]:
        assert _codes(_task(Resource=resource)) == [("SCHEMA_VALIDATION_FAILED", "/States/T/Resource")], (
            resource
        )


def test_paths_and_templates() -> None:
    assert _codes({"A": {"Type": "Pass", "InputPath": "$.a[", "End": True}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/A/InputPath")
    ]
    assert _codes({"A": {"Type": "Pass", "ResultPath": "$.a[*]", "End": True}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath")
    ]
    assert _codes({"A": {"Type": "Pass", "Parameters": {"x": {"y.$": "nope"}}, "End": True}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/A/Parameters")
    ]
    ok = {
        "A": {
            "Type": "Pass",
            "InputPath": "$$.Execution",
            "OutputPath": "$var.x",
            "ResultPath": None,
            "Parameters": {"a.$": "States.Format('{}', $.x)"},
            "End": True,
        }
    }
    assert validate(_machine(ok)) == []


def test_wait_fields() -> None:
    assert _codes({"W": {"Type": "Wait", "End": True}}) == [("SCHEMA_VALIDATION_FAILED", "/States/W")]
    assert _codes({"W": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/W")
    ]
    assert _codes({"W": {"Type": "Wait", "Seconds": -1, "End": True}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/W/Seconds")
    ]
    assert (
        validate(_machine({"W": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00.123+02:00", "End": True}}))
        == []
    )


def test_fail_fields() -> None:
    assert _codes({"F": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/F")
    ]
    assert _codes({"F": {"Type": "Fail", "CausePath": "nope"}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/F/CausePath")
    ]
    assert (
        validate(
            _machine({"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('{}', $.c)"}})
        )
        == []
    )


def test_choice_rules() -> None:
    def rules(*choices: dict[str, Any], **top: Any) -> list[tuple[str, str | None]]:
        return _codes(
            {"C": {"Type": "Choice", "Choices": list(choices), "Default": "S"}, "S": {"Type": "Succeed"}},
            **top,
        )

    assert rules({"Variable": "$.x", "Next": "S"}) == [("SCHEMA_VALIDATION_FAILED", "/States/C/Choices[0]")]
    assert rules({"Variable": "$.x", "NumericEquals": 1, "StringEquals": "a", "Next": "S"}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/C/Choices[0]")
    ]
    assert rules({"NumericEquals": 1, "Next": "S"}) == [("SCHEMA_VALIDATION_FAILED", "/States/C/Choices[0]")]
    assert rules({"Variable": "$.x", "NumericEquals": "1", "Next": "S"}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/C/Choices[0]/NumericEquals")
    ]
    assert rules({"Not": {"Variable": "$.x", "IsNull": True, "Next": "S"}, "Next": "S"}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/C/Choices[0]/Not")
    ]
    assert rules({"And": [], "Next": "S"}) == [("SCHEMA_VALIDATION_FAILED", "/States/C/Choices[0]/And")]
    nested = {
        "Or": [
            {"Variable": "$.x", "StringEqualsPath": "$.y"},
            {"Not": {"Variable": "$$.Execution.Id", "IsPresent": True}},
        ],
        "Next": "S",
    }
    assert rules(nested) == []
    assert rules({"Condition": "{% true %}", "Next": "S"}, QueryLanguage="JSONata") == []
    assert rules({"Variable": "$.x", "IsNull": True, "Next": "S"}, QueryLanguage="JSONata") == [
        ("SCHEMA_VALIDATION_FAILED", "/States/C/Choices[0]"),
        ("SCHEMA_VALIDATION_FAILED", "/States/C/Choices[0]"),
        ("SCHEMA_VALIDATION_FAILED", "/States/C/Choices[0]"),
    ]
    assert _codes({"C": {"Type": "Choice", "Choices": [], "Default": "S"}, "S": {"Type": "Succeed"}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/C/Choices")
    ]


def test_jsonata_expressions_must_parse() -> None:
    found = validate(
        _machine({"P": {"Type": "Pass", "Output": {"v": "{% 1 + %}"}, "End": True}}, QueryLanguage="JSONata")
    )
    assert [(d.code, d.location) for d in found] == [("INVALID_JSONATA_EXPRESSION", "/States/P/Output/v")]
    assert found[0].message == "Unexpected end of expression"  # the parser's message (unverified)
    # In JSONPath mode the same string is a literal.
    assert validate(_machine({"P": {"Type": "Pass", "Result": {"v": "{% 1 + %}"}, "End": True}})) == []


def test_jsonpath_field_in_a_jsonata_state() -> None:
    found = validate(
        _machine({"P": {"Type": "Pass", "InputPath": "$", "End": True}}, QueryLanguage="JSONata")
    )
    assert [(d.code, d.location) for d in found] == [("SCHEMA_VALIDATION_FAILED", "/States/P")]
    assert "field 'InputPath' is only supported for the 'JSONPath' QueryLanguage" in found[0].message


def test_map_rules() -> None:
    processor = {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}
    assert _codes({"M": {"Type": "Map", "End": True}}) == [("SCHEMA_VALIDATION_FAILED", "/States/M")]
    assert _codes({"M": {"Type": "Map", "ItemProcessor": processor, "Iterator": processor, "End": True}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/M")
    ]
    distributed = {**processor, "ProcessorConfig": {"Mode": "DISTRIBUTED"}}
    assert _codes({"M": {"Type": "Map", "ItemProcessor": distributed, "End": True}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/M/ItemProcessor/ProcessorConfig")
    ]
    assert _codes({"M": {"Type": "Map", "ItemProcessor": processor, "MaxConcurrency": -1, "End": True}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/M/MaxConcurrency")
    ]
    assert _codes(
        {"M": {"Type": "Map", "ItemProcessor": processor, "ToleratedFailurePercentage": 101, "End": True}}
    ) == [("SCHEMA_VALIDATION_FAILED", "/States/M/ToleratedFailurePercentage")]
    for label, ok in [("a" * 40, True), ("a" * 41, False), ("", False), ("a b", False), ("a:b", False)]:
        found = validate(
            _machine({"M": {"Type": "Map", "ItemProcessor": processor, "Label": label, "End": True}})
        )
        assert (found == []) == ok, label


def test_credentials_and_assign() -> None:
    assert validate(_machine(_task(Credentials={"RoleArn.$": "$.role"}))) == []
    assert _codes(_task(Credentials={"Role": "r"})) == [("SCHEMA_VALIDATION_FAILED", "/States/T/Credentials")]
    assert _codes({"P": {"Type": "Pass", "Assign": {"states": 1}, "End": True}}) == [
        ("SCHEMA_VALIDATION_FAILED", "/States/P/Assign")
    ]
    assert validate(_machine({"P": {"Type": "Pass", "Assign": {"x.$": "$.a", "y": 2}, "End": True}})) == []


def test_jsonata_bare_top_level_names() -> None:
    # Reported by users: "UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not
    # supported. at /States/E/Output/v"
    text = _machine(
        {"E": {"Type": "Pass", "Output": {"v": "{% phone %}"}, "End": True}}, QueryLanguage="JSONata"
    )
    assert _message(text) == (
        "Invalid State Machine Definition: 'UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level "
        "is not supported. at /States/E/Output/v'"
    )
    for fine in [
        "$states.input.a[price > 1].b",
        "$map($states.input, function($v){ $v.x })",
        "($x := 1; $x.y)",
    ]:
        state = {"E": {"Type": "Pass", "Output": {"v": "{% " + fine + " %}"}, "End": True}}
        assert validate(_machine(state, QueryLanguage="JSONata")) == [], fine
    for bad in ["$count(items)", "true ? a : 1", "{'a': phone}"]:
        state = {"E": {"Type": "Pass", "Output": "{% " + bad + " %}", "End": True}}
        assert [d.code for d in validate(_machine(state, QueryLanguage="JSONata"))] == [
            "UNSUPPORTED_JSONATA_EXPRESSION"
        ], bad
