"""Distributed Map states end to end: items read from S3 (JSON, JSON Lines, CSV, listings),
ItemSelector and ItemBatcher, tolerated failures, ResultWriter, and the map run API
(DescribeMapRun, ListMapRuns, UpdateMapRun, ListExecutions of a map run)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from .conftest import history, wait_done


@pytest.fixture
def s3(aws_client):
    return aws_client("s3")


def _bucket(s3) -> str:
    name = f"dmap-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _machine(
    processor_states: dict[str, Any] | None = None, execution_type: str = "STANDARD", **fields: Any
) -> dict[str, Any]:
    """A machine of one distributed Map state ``MapState`` with ``fields``."""
    return {
        "StartAt": "MapState",
        "States": {
            "MapState": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
                    "StartAt": "Inner",
                    "States": processor_states or {"Inner": {"Type": "Pass", "End": True}},
                },
                "End": True,
                **fields,
            }
        },
    }


def _reader(kind: str = "JSON", **config: Any) -> dict[str, Any]:
    return {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": kind, **config},
        "Parameters": {"Bucket.$": "$.Bucket", "Key.$": "$.Key"},
    }


def _run(
    sfn, make_machine, definition: dict[str, Any], value: Any, timeout: float = 10.0
) -> tuple[str, dict[str, Any]]:
    arn = make_machine(definition)
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(value))["executionArn"]
    return execution, wait_done(sfn, execution, timeout=timeout)


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def _map_run_arn(sfn, execution: str) -> str:
    (found,) = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    return found["mapRunArn"]


def test_distributed_map_over_an_s3_csv(sfn, s3, make_machine):
    """The seed workflow: a CSV in S3, a distributed Map with ItemSelector, MaxConcurrency and a
    ResultWriter; the output, the map run's description and the result files."""
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="in/people.csv", Body=b"name,age\nana,31\nbo,42\ncy,27\n")
    definition = _machine(
        {"Inner": {"Type": "Pass", "Parameters": {"who.$": "$.person.name", "n.$": "$.n"}, "End": True}},
        ItemReader=_reader("CSV", CSVHeaderLocation="FIRST_ROW"),
        ItemSelector={"person.$": "$$.Map.Item.Value", "n.$": "$$.Map.Item.Index"},
        MaxConcurrency=2,
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": bucket, "Prefix": "results"},
        },
        Label="People",
    )
    execution, described = _run(sfn, make_machine, definition, {"Bucket": bucket, "Key": "in/people.csv"})
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    map_run = output["MapRunArn"]
    machine_name = execution.split(":")[6]
    assert map_run.startswith(f"arn:aws:states:us-east-1:000000000000:mapRun:{machine_name}/People:")
    run_id = map_run.rpartition(":")[2]
    assert output["ResultWriterDetails"] == {"Bucket": bucket, "Key": f"results/{run_id}/manifest.json"}

    events = history(sfn, execution)
    assert _types(events) == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    assert events[2]["mapStateStartedEventDetails"] == {"length": 0}
    assert events[3]["mapRunStartedEventDetails"] == {"mapRunArn": map_run}
    assert [e["previousEventId"] for e in events[3:7]] == [3, 4, 5, 5]

    run = sfn.describe_map_run(mapRunArn=map_run)
    assert run["status"] == "SUCCEEDED"
    assert run["executionArn"] == execution
    assert run["maxConcurrency"] == 2
    assert (run["toleratedFailureCount"], run["toleratedFailurePercentage"]) == (0, 0.0)
    counts = {"aborted": 0, "failed": 0, "pending": 0, "resultsWritten": 3, "running": 0, "succeeded": 3}
    assert run["itemCounts"] == {**counts, "timedOut": 0, "total": 3}
    assert run["executionCounts"] == {**counts, "timedOut": 0, "total": 3}
    assert run["stopDate"] >= run["startDate"]
    recorded_keys = {
        "executionArn", "executionCounts", "itemCounts", "mapRunArn", "maxConcurrency", "startDate", "status",
        "stopDate", "toleratedFailureCount", "toleratedFailurePercentage", "ResponseMetadata",
    }  # fmt: skip
    assert set(run) == recorded_keys

    manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"results/{run_id}/manifest.json")["Body"].read())
    assert manifest["MapRunArn"] == map_run and manifest["DestinationBucket"] == bucket
    assert manifest["ResultFiles"]["FAILED"] == [] and manifest["ResultFiles"]["PENDING"] == []
    (succeeded,) = manifest["ResultFiles"]["SUCCEEDED"]
    assert succeeded["Key"] == f"results/{run_id}/SUCCEEDED_0.json"
    records = json.loads(s3.get_object(Bucket=bucket, Key=succeeded["Key"])["Body"].read())
    outputs = sorted((json.loads(r["Output"]) for r in records), key=lambda o: o["n"])
    assert outputs == [{"who": "ana", "n": 0}, {"who": "bo", "n": 1}, {"who": "cy", "n": 2}]
    assert {r["Status"] for r in records} == {"SUCCEEDED"}

    children = sfn.list_executions(mapRunArn=map_run)["executions"]
    assert len(children) == 3
    assert {c["status"] for c in children} == {"SUCCEEDED"}
    assert all(c["mapRunArn"] == map_run and c["itemCount"] == 1 for c in children)
    child = children[0]["executionArn"]
    assert child.startswith(f"arn:aws:states:us-east-1:000000000000:execution:{machine_name}/People:")
    assert _types(history(sfn, child)) == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    described_child = sfn.describe_execution(executionArn=child)
    assert (described_child["status"], described_child["mapRunArn"]) == ("SUCCEEDED", map_run)


def test_csv_given_headers_and_delimiter(sfn, s3, make_machine):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="rows.csv", Body=b"1;2;3\n4;5\n")
    definition = _machine(
        ItemReader=_reader("CSV", CSVHeaderLocation="GIVEN", CSVHeaders=["a", "b"], CSVDelimiter="SEMICOLON")
    )
    _, described = _run(sfn, make_machine, definition, {"Bucket": bucket, "Key": "rows.csv"})
    assert json.loads(described["output"]) == [{"a": "1", "b": "2"}, {"a": "4", "b": "5"}]


def test_csv_duplicate_headers_fail_the_map_run(sfn, s3, make_machine):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="dup.csv", Body=b"h,h\n1,2\n")
    execution, described = _run(
        sfn, make_machine, _machine(ItemReader=_reader("CSV")), {"Bucket": bucket, "Key": "dup.csv"}
    )
    assert (described["status"], described["error"], described["cause"]) == (
        "FAILED",
        "States.ItemReaderFailed",
        "CSV headers cannot contain duplicates.",
    )
    events = history(sfn, execution)
    assert _types(events)[2:] == [
        "MapStateStarted",
        "MapRunStarted",
        "MapRunFailed",
        "MapStateFailed",
        "ExecutionFailed",
    ]
    assert events[4]["mapRunFailedEventDetails"] == {
        "error": "States.ItemReaderFailed",
        "cause": "CSV headers cannot contain duplicates.",
    }
    assert sfn.describe_map_run(mapRunArn=_map_run_arn(sfn, execution))["status"] == "FAILED"


def test_json_reader_with_max_items(sfn, s3, make_machine):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="items.json", Body=json.dumps([{"v": 1}, {"v": 2}, {"v": 3}]).encode())
    definition = _machine(ItemReader=_reader("JSON", MaxItems=2))
    _, described = _run(sfn, make_machine, definition, {"Bucket": bucket, "Key": "items.json"})
    assert json.loads(described["output"]) == [{"v": 1}, {"v": 2}]


def test_max_items_path_must_be_an_integer_and_positive(sfn, s3, make_machine):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="items.json", Body=b"[1, 2]")
    definition = _machine(ItemReader=_reader("JSON", MaxItemsPath="$.MaxItems"))
    value = {"Bucket": bucket, "Key": "items.json"}
    execution, described = _run(sfn, make_machine, definition, {**value, "MaxItems": 1.5})
    assert described["error"] == "States.Runtime"
    assert described["cause"] == (
        "An error occurred while executing the state 'MapState' (entered at the event id #2). The MaxItemsPath "
        'field refers to value "1.5" which is not a valid integer: $.MaxItems'
    )
    assert _types(history(sfn, execution))[2:] == ["MapStateStarted", "ExecutionFailed"]
    _, described = _run(sfn, make_machine, definition, {**value, "MaxItems": -1})
    assert (described["error"], described["cause"]) == (
        "States.ItemReaderFailed",
        "field MaxItems must be positive",
    )
    _, described = _run(sfn, make_machine, definition, {**value, "MaxItems": 0})
    assert json.loads(described["output"]) == [1, 2]


def test_json_that_is_not_an_array_fails(sfn, s3, make_machine):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="obj.json", Body=b'{"a": 1}')
    _, described = _run(
        sfn, make_machine, _machine(ItemReader=_reader()), {"Bucket": bucket, "Key": "obj.json"}
    )
    assert (described["error"], described["cause"]) == (
        "States.ItemReaderFailed",
        "Attempting to map over non-iterable node.",
    )


def test_jsonl_reader(sfn, s3, make_machine):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="items.jsonl", Body=b'{"a": 1}\n\n{"a": 2}\n"three"\n')
    _, described = _run(
        sfn, make_machine, _machine(ItemReader=_reader("JSONL")), {"Bucket": bucket, "Key": "items.jsonl"}
    )
    assert json.loads(described["output"]) == [{"a": 1}, {"a": 2}, "three"]


def test_jsonl_reader_refuses_a_bad_line(sfn, s3, make_machine):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="bad.jsonl", Body=b'{"a": 1}\n{oops\n')
    _, described = _run(
        sfn, make_machine, _machine(ItemReader=_reader("JSONL")), {"Bucket": bucket, "Key": "bad.jsonl"}
    )
    assert described["status"] == "FAILED" and described["error"] == "States.ItemReaderFailed"


def test_list_objects_reader(sfn, s3, make_machine):
    bucket = _bucket(s3)
    for i in range(3):
        s3.put_object(Bucket=bucket, Key=f"data/file_{i}.txt", Body=b"hello world!")
    s3.put_object(Bucket=bucket, Key="other.txt", Body=b"x")
    reader = {
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "Parameters": {"Bucket.$": "$.Bucket", "Prefix": "data/"},
    }
    _, described = _run(sfn, make_machine, _machine(ItemReader=reader), {"Bucket": bucket})
    items = json.loads(described["output"])
    assert [i["Key"] for i in items] == ["data/file_0.txt", "data/file_1.txt", "data/file_2.txt"]
    etag = s3.head_object(Bucket=bucket, Key="data/file_0.txt")["ETag"]
    assert items[0]["Etag"] == etag
    assert (items[0]["Size"], items[0]["StorageClass"]) == (12, "STANDARD")
    assert isinstance(items[0]["LastModified"], int)
    assert set(items[0]) == {"Etag", "Key", "LastModified", "Size", "StorageClass"}


@pytest.mark.parametrize(
    ("key", "make", "cause_start"),
    [
        ("missing.json", True, "The specified key does not exist."),
        ("items.json", False, "The specified bucket does not exist"),
    ],
)
def test_missing_object_or_bucket_fails_the_reader(sfn, s3, make_machine, key, make, cause_start):
    bucket = _bucket(s3) if make else f"nope-{uuid.uuid4().hex[:8]}"
    execution, described = _run(
        sfn, make_machine, _machine(ItemReader=_reader()), {"Bucket": bucket, "Key": key}
    )
    assert described["status"] == "FAILED"
    assert described["error"] == "States.ItemReaderFailed"
    assert (
        described["cause"].startswith(cause_start) and "(Service: S3, Status Code: 404" in described["cause"]
    )
    assert "MapRunFailed" in _types(history(sfn, execution))


def test_items_from_input_with_batching(sfn, make_machine):
    definition = _machine(
        ItemsPath="$.items",
        ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"tag.$": "$.tag"}},
    )
    execution, described = _run(sfn, make_machine, definition, {"items": [1, 2, 3, 4, 5], "tag": "t"})
    assert json.loads(described["output"]) == [
        {"Items": [1, 2], "BatchInput": {"tag": "t"}},
        {"Items": [3, 4], "BatchInput": {"tag": "t"}},
        {"Items": [5], "BatchInput": {"tag": "t"}},
    ]
    assert history(sfn, execution)[2]["mapStateStartedEventDetails"] == {"length": 5}
    run = sfn.describe_map_run(mapRunArn=_map_run_arn(sfn, execution))
    assert (run["itemCounts"]["total"], run["executionCounts"]["total"]) == (5, 3)
    counts = sorted(c["itemCount"] for c in sfn.list_executions(mapRunArn=run["mapRunArn"])["executions"])
    assert counts == [1, 2, 2]


def test_batching_by_bytes(sfn, make_machine):
    definition = _machine(ItemBatcher={"MaxInputBytesPerBatch": 12})
    _, described = _run(sfn, make_machine, definition, ["aaaa", "bbbb", "cccc"])
    assert json.loads(described["output"]) == [{"Items": ["aaaa"]}, {"Items": ["bbbb"]}, {"Items": ["cccc"]}]


_FAIL_ODD = {
    "Check": {
        "Type": "Choice",
        "Choices": [{"Variable": "$", "NumericEquals": 1, "Next": "Boom"}],
        "Default": "Ok",
    },
    "Boom": {"Type": "Fail", "Error": "Odd", "Cause": "one is odd"},
    "Ok": {"Type": "Pass", "End": True},
}


def _failing_machine(**fields: Any) -> dict[str, Any]:
    definition = _machine(_FAIL_ODD, **fields)
    definition["States"]["MapState"]["ItemProcessor"]["StartAt"] = "Check"
    return definition


def test_a_failure_past_the_threshold_fails_the_run(sfn, make_machine):
    execution, described = _run(sfn, make_machine, _failing_machine(), [0, 1, 2])
    assert (described["error"], described["cause"]) == (
        "States.ExceedToleratedFailureThreshold",
        "The specified tolerated failure threshold was exceeded",
    )
    events = history(sfn, execution)
    assert _types(events)[-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]
    run = sfn.describe_map_run(mapRunArn=_map_run_arn(sfn, execution))
    assert run["status"] == "FAILED"
    assert run["itemCounts"]["failed"] == 1


def test_tolerated_failures(sfn, make_machine):
    _, described = _run(sfn, make_machine, _failing_machine(ToleratedFailureCount=1), [0, 1, 2])
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert output[0] == 0 and output[2] == 2 and output[1]["Error"] == "Odd"
    _, described = _run(sfn, make_machine, _failing_machine(ToleratedFailurePercentage=50), [0, 1, 2])
    assert described["status"] == "SUCCEEDED"
    _, described = _run(sfn, make_machine, _failing_machine(ToleratedFailurePercentage=20), [0, 1, 2])
    assert described["error"] == "States.ExceedToleratedFailureThreshold"


@pytest.mark.parametrize(
    ("value", "cause"),
    [
        ("NoNumber", 'The ToleratedFailureCountPath field refers to value "NoNumber" which is not a valid '
         "integer: $.Tolerated"),
        ({}, 'The ToleratedFailureCountPath field refers to value "{}" which is not a valid integer: $.Tolerated'),
        (-1, "ToleratedFailureCount cannot be negative."),
    ],
)  # fmt: skip
def test_tolerated_failure_count_path_must_be_valid(sfn, make_machine, value, cause):
    definition = _machine(ItemsPath="$.Items", ToleratedFailureCountPath="$.Tolerated")
    execution, described = _run(sfn, make_machine, definition, {"Items": [0], "Tolerated": value})
    prefix = "An error occurred while executing the state 'MapState' (entered at the event id #2). "
    assert (described["error"], described["cause"]) == ("States.Runtime", prefix + cause)
    assert _types(history(sfn, execution))[2:] == ["MapStateStarted", "ExecutionFailed"]


@pytest.mark.parametrize("value", [-1, 100.1, "NoNumber"])
def test_tolerated_failure_percentage_path_must_be_valid(sfn, make_machine, value):
    definition = _machine(ItemsPath="$.Items", ToleratedFailurePercentagePath="$.Pct")
    _, described = _run(sfn, make_machine, definition, {"Items": [0], "Pct": value})
    assert described["error"] == "States.Runtime"
    expected = (
        'The ToleratedFailurePercentagePath field refers to value "NoNumber" which is not a valid float: $.Pct'
        if value == "NoNumber"
        else "ToleratedFailurePercentage must be between 0 and 100."
    )
    assert described["cause"].endswith(expected)


def test_result_writer_to_a_missing_bucket_fails(sfn, make_machine):
    definition = _machine(
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": f"nope-{uuid.uuid4().hex[:8]}", "Prefix": "out"},
        }
    )
    _, described = _run(sfn, make_machine, definition, [1])
    assert described["error"] == "States.ResultWriterFailed"


def test_result_writer_lists_failed_children(sfn, s3, make_machine):
    bucket = _bucket(s3)
    definition = _failing_machine(
        ToleratedFailureCount=5,
        ResultWriter={"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": bucket}},
    )
    _, described = _run(sfn, make_machine, definition, [0, 1])
    output = json.loads(described["output"])
    run_id = output["MapRunArn"].rpartition(":")[2]
    assert output["ResultWriterDetails"]["Key"] == f"{run_id}/manifest.json"
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"{run_id}/manifest.json")["Body"].read())
    (failed,) = manifest["ResultFiles"]["FAILED"]
    (record,) = json.loads(s3.get_object(Bucket=bucket, Key=failed["Key"])["Body"].read())
    assert (record["Status"], record["Error"], record["Cause"]) == ("FAILED", "Odd", "one is odd")


def test_express_children_are_not_listed(sfn, make_machine):
    execution, described = _run(sfn, make_machine, _machine(execution_type="EXPRESS"), [1, 2])
    assert json.loads(described["output"]) == [1, 2]
    run = _map_run_arn(sfn, execution)
    assert sfn.list_executions(mapRunArn=run)["executions"] == []
    assert sfn.describe_map_run(mapRunArn=run)["itemCounts"]["succeeded"] == 2


def test_jsonata_reader_and_batcher(sfn, s3, make_machine):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="items.json", Body=b"[1, 2, 3]")
    definition = _machine(
        ItemReader={
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON", "MaxItems": "{% 2 %}"},
            "Arguments": {"Bucket": "{% $states.input.Bucket %}", "Key": "items.json"},
        },
        ItemBatcher={"MaxItemsPerBatch": "{% $states.input.n %}"},
    )
    definition["QueryLanguage"] = "JSONata"
    _, described = _run(sfn, make_machine, definition, {"Bucket": bucket, "n": 1})
    assert json.loads(described["output"]) == [{"Items": [1]}, {"Items": [2]}]


def test_map_run_api_errors(sfn, sfn_raw, make_machine):
    missing = "arn:aws:states:us-east-1:000000000000:mapRun:nope/label:00000000-0000-0000-0000-000000000000"
    for call in (
        lambda: sfn.describe_map_run(mapRunArn=missing),
        lambda: sfn.update_map_run(mapRunArn=missing, maxConcurrency=1),
        lambda: sfn.list_executions(mapRunArn=missing),
    ):
        with pytest.raises(sfn.exceptions.ResourceNotFound):
            call()
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_map_run(mapRunArn="arn:aws:states:us-east-1:000000000000:execution:a:b")
    execution, _ = _run(sfn, make_machine, _machine(), [1])
    run = _map_run_arn(sfn, execution)
    with pytest.raises(sfn.exceptions.ClientError) as raised:
        sfn.update_map_run(mapRunArn=run)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    sfn.update_map_run(mapRunArn=run, maxConcurrency=7, toleratedFailureCount=2)
    described = sfn.describe_map_run(mapRunArn=run)
    assert (described["maxConcurrency"], described["toleratedFailureCount"]) == (7, 2)
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.list_map_runs(executionArn=execution + "x")


def test_list_map_runs_shape(sfn, make_machine):
    execution, _ = _run(sfn, make_machine, _machine(MaxConcurrency=1), [1, 2])
    (item,) = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    assert set(item) == {"executionArn", "mapRunArn", "stateMachineArn", "startDate", "stopDate"}
    machine_name = execution.split(":")[6]
    machine, label = item["stateMachineArn"].rpartition(":")[2].split("/")
    assert machine == machine_name and label != "MapState"  # no Label: one made up
    assert item["mapRunArn"].split(":")[6] == f"{machine_name}/{label}"


_SCENARIOS = "v2/scenarios/test_base_scenarios.snapshot.json"
# Not replayed here: the scenarios whose recorded input the corpus reads as a JSON string, those
# that need S3 set up, and those where AWS's MapStateExited follows MapRunStarted (see the docs).


@pytest.mark.parametrize(
    "test",
    [
        "test_map_state_tolerated_failure_count_path[NoNumber]",
        "test_map_state_tolerated_failure_count_path[-1]",
        "test_map_state_tolerated_failure_count_path[1]",
        "test_map_state_tolerated_failure_percentage_path[tolerated_failure_percentage_value0]",
        "test_map_state_tolerated_failure_percentage_path[100.1]",
        "test_map_state_tolerated_failure_percentage_path[1.1]",
    ],
)
def test_recorded_scenarios(sfn, test):
    from .conftest import assert_replays

    assert_replays(sfn, _SCENARIOS, test)


def test_a_running_map_run_is_described_updated_and_aborted(sfn, make_machine):
    """While children wait: DescribeMapRun counts them; UpdateMapRun raises maxConcurrency and
    more start; StopExecution aborts the run and its children."""
    waiting = {"Inner": {"Type": "Wait", "Seconds": 99999999, "End": True}}
    execution, _ = _run(sfn, make_machine, _machine(waiting, MaxConcurrency=1), [1, 2, 3], timeout=0.3)
    run = _map_run_arn(sfn, execution)
    described = sfn.describe_map_run(mapRunArn=run)
    assert described["status"] == "RUNNING" and "stopDate" not in described
    assert (described["itemCounts"]["running"], described["itemCounts"]["pending"]) == (1, 2)
    sfn.update_map_run(mapRunArn=run, maxConcurrency=2)
    for _ in range(100):
        described = sfn.describe_map_run(mapRunArn=run)
        if described["itemCounts"]["running"] == 2:
            break
        time.sleep(0.01)
    assert (described["maxConcurrency"], described["itemCounts"]["running"]) == (2, 2)
    sfn.stop_execution(executionArn=execution)
    for _ in range(100):
        described = sfn.describe_map_run(mapRunArn=run)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.01)
    assert described["status"] == "ABORTED"
    assert described["itemCounts"]["aborted"] == 2 and described["itemCounts"]["pending"] == 1
    children = sfn.list_executions(mapRunArn=run)["executions"]
    assert [c["status"] for c in children] == ["ABORTED", "ABORTED"]
    assert _types(history(sfn, children[0]["executionArn"]))[-1] == "ExecutionAborted"


def test_a_malformed_csv_fails_the_reader_and_is_caught(sfn, s3, make_machine):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="bad.csv", Body=b'a,b\n1,"2\n')
    definition = _machine(
        ItemReader=_reader("CSV"),
        Catch=[{"ErrorEquals": ["States.ItemReaderFailed"], "ResultPath": "$.error", "Next": "Caught"}],
    )
    del definition["States"]["MapState"]["End"]
    definition["States"]["MapState"]["Next"] = "Caught"
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    execution, described = _run(sfn, make_machine, definition, {"Bucket": bucket, "Key": "bad.csv"})
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["error"]["Error"] == "States.ItemReaderFailed"
    assert _types(history(sfn, execution))[3:7] == [
        "MapRunStarted",
        "MapRunFailed",
        "MapStateFailed",
        "MapStateExited",
    ]
