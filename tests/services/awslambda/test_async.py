"""Event invocations: queued on the delivery engine, retried on the clock, records to destinations."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from tests.services.awslambda.conftest import create_python, error_of

OK = "def handler(event, context):\n    return {'got': event, 'id': context.aws_request_id}\n"
FAIL = "def handler(event, context):\n    raise Exception('intentional failure')\n"
PRINT = "import json\n\ndef handler(event, context):\n    print('RECORD ' + json.dumps(event))\n"


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


@pytest.fixture
def logs(aws_client):
    return aws_client("logs")


def create(lam, role, code: str, **extra) -> str:
    name = f"fn-{uuid.uuid4().hex[:10]}"
    create_python(lam, role, name, code, **extra)
    return name


def queue(sqs) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def wait_for(probe, seconds: float = 10.0):
    """Poll ``probe`` in real time (functions really run) until it answers something truthy."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def message(sqs, url: str) -> dict | None:
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"]).get("Messages")
    return got[0] if got else None


def reports(logs, name: str) -> int:
    try:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    except ClientError:
        return 0
    return sum(e["message"].startswith("REPORT") for e in events)


def invoke(lam, name: str, event: dict) -> dict:
    answer = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(event))
    assert answer["StatusCode"] == 202
    assert answer["Payload"].read() == b""
    return answer


def test_event_runs_and_records_success(lam, role, sqs):
    url, arn = queue(sqs)
    name = create(lam, role, OK)
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    answer = invoke(lam, name, {"a": 1})
    request_id = answer["ResponseMetadata"]["RequestId"]
    got = wait_for(lambda: message(sqs, url))
    record = json.loads(got["Body"])
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"{lam.get_function(FunctionName=name)['Configuration']['FunctionArn']}:$LATEST",
        "condition": "Success",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == {"a": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"got": {"a": 1}, "id": request_id}


def test_retries_on_the_clock_then_on_failure_record(lam, role, sqs, logs, cloudlet):
    url, arn = queue(sqs)
    name = create(lam, role, FAIL)
    lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=2, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    invoke(lam, name, {"n": 1})
    assert wait_for(lambda: reports(logs, name) == 1)
    time.sleep(0.3)
    assert reports(logs, name) == 1 and message(sqs, url) is None  # the retry waits a minute
    cloudlet.advance_clock(61)
    assert wait_for(lambda: reports(logs, name) == 2)
    cloudlet.advance_clock(61)
    time.sleep(0.3)
    assert reports(logs, name) == 2  # then two minutes
    cloudlet.advance_clock(60)
    got = wait_for(lambda: message(sqs, url))
    record = json.loads(got["Body"])
    assert reports(logs, name) == 3
    context = record["requestContext"]
    assert (context["condition"], context["approximateInvokeCount"]) == ("RetriesExhausted", 3)
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    payload = record["responsePayload"]
    assert (payload["errorType"], payload["errorMessage"]) == ("Exception", "intentional failure")
    assert payload["requestId"] == context["requestId"] and payload["stackTrace"]


def test_dead_letter_queue_gets_the_event(lam, role, sqs):
    url, arn = queue(sqs)
    name = create(lam, role, FAIL, DeadLetterConfig={"TargetArn": arn})
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    answer = invoke(lam, name, {"raise_error": 1})
    got = wait_for(lambda: message(sqs, url))
    assert json.loads(got["Body"]) == {"raise_error": 1}
    assert got["MessageAttributes"] == {
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": "intentional failure"},
        "RequestID": {"DataType": "String", "StringValue": answer["ResponseMetadata"]["RequestId"]},
    }


def test_event_age_exceeded(lam, role, sqs, logs, cloudlet):
    url, arn = queue(sqs)
    name = create(lam, role, FAIL)
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=2,
        MaximumEventAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    invoke(lam, name, {"old": True})
    assert wait_for(lambda: reports(logs, name) == 1)
    cloudlet.advance_clock(61)
    got = wait_for(lambda: message(sqs, url))
    record = json.loads(got["Body"])
    assert reports(logs, name) == 1  # not run again
    context = record["requestContext"]
    assert (context["condition"], context["approximateInvokeCount"]) == ("EventAgeExceeded", 1)
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "intentional failure"


def test_function_destination_and_invoke_async(lam, role, logs):
    target = create(lam, role, PRINT)
    target_arn = lam.get_function(FunctionName=target)["Configuration"]["FunctionArn"]
    name = create(lam, role, OK)
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": target_arn}}
    )
    assert lam.invoke_async(FunctionName=name, InvokeArgs=b'{"legacy": 1}')["Status"] == 202

    def printed():
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{target}")["events"]
        except ClientError:
            return None
        lines = [e["message"] for e in events if e["message"].startswith("RECORD ")]
        return json.loads(lines[0][7:]) if lines else None

    record = wait_for(printed)
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestPayload"] == {"legacy": 1}
    assert record["responsePayload"]["got"] == {"legacy": 1}


def test_event_errors(lam, lam_raw, role, function):
    big = json.dumps({"a": "x" * 262144})
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=function, InvocationType="Event", Payload=big)
    assert error_of(exc) == (
        "RequestEntityTooLargeException",
        f"{len(big)} byte payload is too large for the Event invocation type (limit 262144 bytes)",
        413,
    )
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=function + "-missing", InvocationType="Event", Payload=b"{}")
    assert error_of(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        lam_raw.invoke(FunctionName=function, InvocationType="Event", Payload=b"{not json")
    assert error_of(exc)[0] == "InvalidRequestContentException"


def test_event_survives_kill_9(tmp_path):
    from tests.services.awslambda.conftest import TRUST

    from cloudlet.testing.server import ServerProcess, client

    slow = "import time\n\ndef handler(event, context):\n    time.sleep(1.5)\n    return event\n"
    server = ServerProcess(str(tmp_path)).start()
    try:
        iam = client("iam", server.endpoint)
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        sqs = client("sqs", server.endpoint)
        url, arn = queue(sqs)
        lam = client("lambda", server.endpoint)
        name = create(lam, role, slow)
        lam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}}
        )
        invoke(lam, name, {"kept": 1})
        time.sleep(0.3)  # the first attempt is running: killed with the server
    finally:
        server.kill()
    server.start()
    try:
        sqs = client("sqs", server.endpoint)
        got = wait_for(lambda: message(sqs, url))
        record = json.loads(got["Body"])
        assert record["requestPayload"] == {"kept": 1} and record["responsePayload"] == {"kept": 1}
    finally:
        server.kill()


def test_delete_function_drops_its_queued_events(lam, role, sqs, logs, cloudlet):
    url, arn = queue(sqs)
    name = create(lam, role, FAIL)
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    invoke(lam, name, {})
    assert wait_for(lambda: reports(logs, name) == 1)
    lam.delete_function(FunctionName=name)
    cloudlet.advance_clock(61)
    time.sleep(0.3)
    assert message(sqs, url) is None
