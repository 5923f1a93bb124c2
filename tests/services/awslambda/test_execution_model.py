"""The execution model: concurrency limits and throttling, provisioned concurrency, the memory
setting enforced, each environment's own /tmp, and Lambda's CloudWatch metrics."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from tests.services.awslambda.conftest import TRUST, create_python, error_of

from cloudlet.config import Config
from cloudlet.services.awslambda import sandbox
from cloudlet.testing.server import ServerThread, client, free_port

SLEEPER = """
import os, time
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"init": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"], "pid": os.getpid()}
"""


ONCE = BotoConfig(retries={"total_max_attempts": 1}, read_timeout=60)  # a throttle is not retried


@pytest.fixture
def lam(aws_client):
    return aws_client("lambda", config=ONCE)


def create(lam, role, name, code=SLEEPER, **extra) -> None:
    create_python(lam, role, name, code, **extra)


def invoke(lam, name, event=None, **extra):
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), **extra)
    return response, json.loads(response["Payload"].read() or b"null")


def throttle_of(exc) -> tuple[str, str, int, str]:
    code, message, status = error_of(exc)
    return code, message, status, exc.value.response.get("Reason", "")


def concurrently(endpoint: str, name: str, count: int, sleep: float) -> list[object]:
    """``count`` invocations at once, each sleeping ``sleep`` s: answers or ClientErrors."""

    def one(_: int) -> object:
        lam = client("lambda", endpoint, config=ONCE)
        try:
            return invoke(lam, name, {"sleep": sleep})[1]
        except ClientError as exc:
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def metric_total(endpoint: str, name: str, function: str | None) -> float:
    query = {"namespace": "AWS/Lambda", "name": name}
    with urllib.request.urlopen(f"{endpoint}/_cloudlet/metrics?{urllib.parse.urlencode(query)}") as resp:
        found = json.loads(resp.read())["metrics"]
    wanted = {"FunctionName": function} if function else {}
    return sum(p["sum"] for m in found if m["dimensions"] == wanted for p in m["points"])


def test_reserved_concurrency_zero_throttles_every_invocation(lam, role, name, cloudlet):
    create(lam, role, name)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as exc:
        invoke(lam, name)
    assert throttle_of(exc) == (
        "TooManyRequestsException",
        "Rate Exceeded.",
        429,
        "ReservedFunctionConcurrentInvocationLimitExceeded",
    )
    assert exc.value.response["Type"] == "User"
    assert metric_total(cloudlet.endpoint, "Throttles", name) == 1
    lam.delete_function_concurrency(FunctionName=name)
    assert invoke(lam, name)[0]["StatusCode"] == 200


def test_reserved_concurrency_one_runs_one_at_a_time(lam, role, name, cloudlet):
    create(lam, role, name)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    results = concurrently(cloudlet.endpoint, name, 3, 1.5)
    errors = [r for r in results if isinstance(r, ClientError)]
    assert len(errors) == 2 and len(results) - len(errors) == 1
    for error in errors:
        assert error.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert metric_total(cloudlet.endpoint, "Invocations", name) == 1
    assert metric_total(cloudlet.endpoint, "Throttles", name) == 2
    # the slot is given back: the next invocation runs
    assert invoke(lam, name)[0]["StatusCode"] == 200


def test_provisioned_concurrency_is_taken_from_reserved(lam, role, name):
    """Recorded on AWS: reserved 1, provisioned 1 on version 1: $LATEST is throttled, 1 runs."""
    create(lam, role, name)
    lam.publish_version(FunctionName=name)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    answer = lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1
    )
    assert (answer["Status"], answer["AllocatedProvisionedConcurrentExecutions"]) == ("IN_PROGRESS", 0)
    config = wait_ready(lam, name, "1")
    assert config["AvailableProvisionedConcurrentExecutions"] == 1
    assert config["AllocatedProvisionedConcurrentExecutions"] == 1
    with pytest.raises(ClientError) as exc:
        invoke(lam, name)
    assert throttle_of(exc)[3] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    response, body = invoke(lam, name, Qualifier="1", LogType="Tail")
    assert response["ExecutedVersion"] == "1"
    # it ran on the pre-started environment: initialized as provisioned, no Init Duration
    assert body["init"] == "provisioned-concurrency"
    assert "Init Duration" not in base64.b64decode(response["LogResult"]).decode()


def wait_ready(lam, name: str, qualifier: str) -> dict:
    deadline = time.monotonic() + 30
    while True:
        config = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        if config["Status"] != "IN_PROGRESS" or time.monotonic() > deadline:
            assert config["Status"] == "READY", config
            return config
        time.sleep(0.05)


def test_provisioned_environments_follow_an_alias(lam, role, name):
    create(lam, role, name)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    wait_ready(lam, name, "live")
    assert invoke(lam, name, Qualifier="live")[1]["init"] == "provisioned-concurrency"
    assert invoke(lam, name, Qualifier="1")[1]["init"] in ("on-demand", "provisioned-concurrency")
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"STAGE": "2"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    lam.publish_version(FunctionName=name)
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    deadline = time.monotonic() + 30
    while True:  # version 2's environment is being pre-started
        response, body = invoke(lam, name, Qualifier="live")
        assert response["ExecutedVersion"] == "2"
        if body["init"] == "provisioned-concurrency" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert body["init"] == "provisioned-concurrency"


def test_provisioned_init_failure_is_failed_status(lam, role, name):
    create(lam, role, name, code="raise RuntimeError('no config')\n")
    lam.publish_version(FunctionName=name)
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1
    )
    deadline = time.monotonic() + 30
    while True:
        config = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
        if config["Status"] != "IN_PROGRESS" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert config["Status"] == "FAILED"
    assert "no config" in config["StatusReason"]


def test_account_concurrency_limit():
    server = ServerThread(
        Config(port=free_port(), in_memory=True, log_level="warning", lambda_account_concurrency=2)
    ).start()
    try:
        iam = client("iam", server.endpoint)
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        lam = client("lambda", server.endpoint, config=ONCE)
        settings = lam.get_account_settings()["AccountLimit"]
        assert (settings["ConcurrentExecutions"], settings["UnreservedConcurrentExecutions"]) == (2, 2)
        create(lam, role, "sleeper")
        results = concurrently(server.endpoint, "sleeper", 3, 1.5)
        errors = [r for r in results if isinstance(r, ClientError)]
        assert len(errors) == 1
        assert errors[0].response["Error"]["Code"] == "TooManyRequestsException"
        assert errors[0].response["Reason"] == "ConcurrentInvocationLimitExceeded"
        assert metric_total(server.endpoint, "ConcurrentExecutions", None) >= 2
        # a reservation must leave a tenth of a small account limit unreserved (0 here)
        lam.put_function_concurrency(FunctionName="sleeper", ReservedConcurrentExecutions=2)
        with pytest.raises(ClientError) as exc:
            lam.put_function_concurrency(FunctionName="sleeper", ReservedConcurrentExecutions=3)
        assert error_of(exc)[0] == "InvalidParameterValueException"
    finally:
        server.stop()


def test_event_invocations_throttled_are_kept_and_retried(lam, role, name, aws_client, cloudlet):
    sqs = aws_client("sqs")
    queue = sqs.create_queue(QueueName=f"ok-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    create(lam, role, name)
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    time.sleep(0.3)
    assert metric_total(cloudlet.endpoint, "Throttles", name) >= 1
    assert metric_total(cloudlet.endpoint, "AsyncEventsReceived", name) == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)
    lam.delete_function_concurrency(FunctionName=name)
    cloudlet.advance_clock(600)  # throttled attempts back off at most 5 minutes
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5).get("Messages", [])
    assert len(messages) == 1
    record = json.loads(messages[0]["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] >= 2


MEMORY_HOG = """
def handler(event, context):
    blocks = []
    for _ in range(event["mb"]):
        blocks.append(bytearray(1024 * 1024))
        blocks[-1][::4096] = b"x" * len(blocks[-1][::4096])
    return {"held": len(blocks)}
"""


def test_memory_setting_is_enforced(lam, role, name):
    create(lam, role, name, code=MEMORY_HOG, MemorySize=128, Timeout=30)
    response, body = invoke(lam, name, {"mb": 8}, LogType="Tail")
    assert body == {"held": 8}
    report = base64.b64decode(response["LogResult"]).decode().splitlines()[-1]
    used = int(report.split("Max Memory Used: ")[1].split(" MB")[0])
    assert 8 < used <= 128
    response, body = invoke(lam, name, {"mb": 400}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    log = base64.b64decode(response["LogResult"]).decode()
    assert "Max Memory Used: 128 MB" in log
    # the environment was replaced: the next invocation starts cold and works
    response, body = invoke(lam, name, {"mb": 1})
    assert body == {"held": 1}


TMP_WRITER = """
import os, time
def handler(event, context):
    path = "/tmp/owner"
    before = open(path).read() if os.path.exists(path) else None
    open(path, "w").write(context.aws_request_id)
    time.sleep(event.get("sleep", 0))
    return {"before": before, "after": open(path).read(), "id": context.aws_request_id,
            "tmpdir": os.environ.get("TMPDIR")}
"""


@pytest.mark.skipif(not sandbox.available(), reason="no mount namespaces on this machine")
def test_each_environment_has_its_own_literal_tmp(lam, role, name, cloudlet):
    create(lam, role, name, code=TMP_WRITER)
    results = concurrently(cloudlet.endpoint, name, 2, 1.0)
    assert all(isinstance(r, dict) for r in results), results
    for result in results:  # two environments at once: neither saw the other's file
        assert result["before"] is None and result["after"] == result["id"]
        assert result["tmpdir"] == "/tmp"
    host = Path("/tmp/owner")
    assert not host.exists() or host.read_text() not in {r["id"] for r in results}
    # a warm environment keeps its /tmp
    again = [invoke(lam, name)[1] for _ in range(2)]
    assert again[1]["before"] == again[0]["id"]


def test_invocation_metrics(lam, role, name, cloudlet):
    create(lam, role, name, code="def handler(e, c):\n    if e.get('fail'):\n        raise ValueError('x')\n")
    lam.publish_version(FunctionName=name)
    invoke(lam, name)
    invoke(lam, name, {"fail": True})
    invoke(lam, name, Qualifier="1")
    endpoint = cloudlet.endpoint
    assert metric_total(endpoint, "Invocations", name) == 3
    assert metric_total(endpoint, "Errors", name) == 1
    assert metric_total(endpoint, "Duration", name) > 0
    assert metric_total(endpoint, "ConcurrentExecutions", name) == 3  # one running at each start
    query = urllib.parse.urlencode({"namespace": "AWS/Lambda", "name": "Invocations"})
    with urllib.request.urlopen(f"{endpoint}/_cloudlet/metrics?{query}") as resp:
        dims = [m["dimensions"] for m in json.loads(resp.read())["metrics"]]
    assert {"FunctionName": name, "Resource": f"{name}:1"} in dims


def test_trace_id_and_logging_set_up_as_on_aws(lam, role, name):
    code = (
        "import os, logging\n"
        "logging.getLogger().warning('at import')\n"
        "def handler(e, c):\n"
        "    logging.getLogger().warning('in handler')\n"
        "    return os.environ.get('_X_AMZN_TRACE_ID')\n"
    )
    create(lam, role, name, code=code)
    response, trace = invoke(lam, name, LogType="Tail")
    assert trace.startswith("Root=1-") and ";Sampled=" in trace
    log = base64.b64decode(response["LogResult"]).decode()
    lines = [line for line in log.splitlines() if line.startswith("[WARNING]")]
    assert lines[0].endswith("\tat import")  # AWS's root handler is in place during init
    assert lines[1].split("\t")[2] == response["ResponseMetadata"]["RequestId"]  # one id, as on AWS
    assert lines[1].endswith("\tin handler")


def test_environment_replaced_before_its_role_credentials_expire(lam, role, name, cloudlet):
    code = (
        "import os, boto3\n"
        "def handler(e, c):\n"
        "    arn = boto3.client('sts').get_caller_identity()['Arn']\n"
        "    return {'pid': os.getpid(), 'arn': arn}\n"
    )
    create(lam, role, name, code=code)
    first = invoke(lam, name)[1]
    assert first["arn"].endswith(f"/{name}") and ":assumed-role/" in first["arn"]
    assert invoke(lam, name)[1]["pid"] == first["pid"]  # warm
    cloudlet.advance_clock(12 * 3600 - 600)  # the credentials expire in 10 minutes
    later = invoke(lam, name)[1]
    assert later["pid"] != first["pid"] and later["arn"] == first["arn"]


def test_provisioned_environment_replaced_before_its_credentials_expire(lam, role, name, cloudlet):
    create(lam, role, name)
    lam.publish_version(FunctionName=name)
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1
    )
    wait_ready(lam, name, "1")
    first = invoke(lam, name, Qualifier="1")[1]
    assert first["init"] == "provisioned-concurrency"
    cloudlet.advance_clock(12 * 3600 - 600)  # its credentials expire in 10 minutes
    deadline = time.monotonic() + 30
    while True:  # the expiring one is dropped and a new one pre-started in its place
        body = invoke(lam, name, Qualifier="1")[1]
        if (body["init"] == "provisioned-concurrency" and body["pid"] != first["pid"]) or (
            time.monotonic() > deadline
        ):
            break
        time.sleep(0.05)
    assert body["init"] == "provisioned-concurrency" and body["pid"] != first["pid"]
