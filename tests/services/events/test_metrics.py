"""EventBridge's CloudWatch metrics (AWS/Events), read back from the server."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

from tests.services.events.test_put_events import entry, receive
from tests.services.events.test_retries import api_destination_rule


def total(cloudlet, name: str, dimensions: dict | None) -> float:
    query = urllib.parse.urlencode({"namespace": "AWS/Events", "name": name})
    with urllib.request.urlopen(f"{cloudlet.endpoint}/_cloudlet/metrics?{query}") as resp:
        found = json.loads(resp.read())["metrics"]
    return sum(p["sum"] for m in found if m["dimensions"] == (dimensions or {}) for p in m["points"])


def eventually(cloudlet, name: str, dimensions: dict, expected: float) -> float:
    deadline = time.monotonic() + 10
    value = total(cloudlet, name, dimensions)
    while value < expected and time.monotonic() < deadline:
        time.sleep(0.05)
        value = total(cloudlet, name, dimensions)
    return value


def test_matched_rule_delivered_to_sqs(events, sqs, cloudlet, make_queue):
    bus, rule_arn, _ = api_destination_rule(events, "http://127.0.0.1:9/unused")
    rule = rule_arn.rsplit("/", 1)[1]
    url, arn = make_queue()
    events.remove_targets(Rule=rule, EventBusName=bus, Ids=["api"])
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    events.put_events(Entries=[entry(bus), entry(bus), entry(bus, Source="no.match")])
    assert len(receive(sqs, url, count=2)) == 2
    for dims in ({"RuleName": rule}, {"EventBusName": bus, "RuleName": rule}):
        assert eventually(cloudlet, "TriggeredRules", dims, 2) == 2
        assert eventually(cloudlet, "Invocations", dims, 2) == 2
        assert total(cloudlet, "FailedInvocations", dims) == 0
    assert total(cloudlet, "PutEventsLatency", None) > 0


def test_failed_invocations_retries_and_dead_letters(events, sqs, cloudlet, make_queue, http_endpoint):
    http_endpoint.status = 500
    dlq_url, dlq_arn = make_queue("dlq")
    bus, rule_arn, _ = api_destination_rule(
        events,
        f"{http_endpoint.url}/fail",
        RetryPolicy={"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 3600},
        DeadLetterConfig={"Arn": dlq_arn},
    )
    dims = {"RuleName": rule_arn.rsplit("/", 1)[1]}
    events.put_events(Entries=[entry(bus)])
    for _ in range(10):
        cloudlet.advance_clock(600)
        if receive(sqs, dlq_url, wait=1):
            break
    assert eventually(cloudlet, "FailedInvocations", dims, 1) == 1
    assert eventually(cloudlet, "Invocations", dims, 1) == 1
    assert eventually(cloudlet, "RetryInvocationAttempts", dims, 1) == 1
    assert eventually(cloudlet, "InvocationsSentToDLQ", dims, 1) == 1
