"""A target that keeps failing (an API destination answering 500) is retried under its
RetryPolicy on the service clock, then parked in its dead-letter queue with AWS's six
attributes; a client error is not retried; an event waiting for a retry survives kill -9."""

from __future__ import annotations

import json
import threading
import time
from http.server import ThreadingHTTPServer

from tests.services.events.conftest import Recorder, unique
from tests.services.events.test_connections import API_KEY
from tests.services.events.test_put_events import PATTERN, entry, receive

from cloudlet.testing.server import ServerProcess, client, free_port


def api_destination_rule(events, url: str, **target) -> tuple[str, str, str]:
    """A bus and rule whose one target is an API destination at ``url``; (bus, rule ARN, target ARN)."""
    connection = events.create_connection(
        Name=unique("conn"), AuthorizationType="API_KEY", AuthParameters=API_KEY
    )
    destination = events.create_api_destination(
        Name=unique("dest"),
        ConnectionArn=connection["ConnectionArn"],
        HttpMethod="POST",
        InvocationEndpoint=url,
    )["ApiDestinationArn"]
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    rule = unique("rule")
    rule_arn = events.put_rule(Name=rule, EventBusName=bus, EventPattern=PATTERN)["RuleArn"]
    events.put_targets(
        Rule=rule,
        EventBusName=bus,
        Targets=[{"Id": "api", "Arn": destination, "RoleArn": "arn:aws:iam::000000000000:role/r", **target}],
    )
    return bus, rule_arn, destination


def attributes_of(message: dict) -> dict[str, str]:
    return {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}


def test_retries_run_out_into_the_dead_letter_queue(events, sqs, make_queue, http_endpoint, cloudlet):
    http_endpoint.status = 500
    dlq_url, dlq_arn = make_queue("dlq")
    bus, rule_arn, destination = api_destination_rule(
        events,
        f"{http_endpoint.url}/fail",
        RetryPolicy={"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
        DeadLetterConfig={"Arn": dlq_arn},
    )
    event_id = events.put_events(Entries=[entry(bus)])["Entries"][0]["EventId"]
    got: list = []
    for _ in range(10):
        cloudlet.advance_clock(600)
        got = receive(sqs, dlq_url, wait=1)
        if got:
            break
    (message,) = got
    assert json.loads(message["Body"])["id"] == event_id
    attributes = attributes_of(message)
    assert set(attributes) == {
        "RULE_ARN",
        "TARGET_ARN",
        "ERROR_CODE",
        "ERROR_MESSAGE",
        "EXHAUSTED_RETRY_CONDITION",
        "RETRY_ATTEMPTS",
    }
    assert attributes["RULE_ARN"] == rule_arn and attributes["TARGET_ARN"] == destination
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attributes["RETRY_ATTEMPTS"] == "2"
    assert len(http_endpoint.requests) == 3  # the first attempt and two retries


def test_event_age_runs_out(events, sqs, make_queue, http_endpoint, cloudlet):
    http_endpoint.status = 503
    dlq_url, dlq_arn = make_queue("dlq")
    bus, _, _ = api_destination_rule(
        events,
        f"{http_endpoint.url}/busy",
        RetryPolicy={"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60},
        DeadLetterConfig={"Arn": dlq_arn},
    )
    events.put_events(Entries=[entry(bus)])
    got: list = []
    for _ in range(10):
        cloudlet.advance_clock(120)
        got = receive(sqs, dlq_url, wait=1)
        if got:
            break
    (message,) = got
    assert attributes_of(message)["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"


def test_client_error_is_not_retried(events, sqs, make_queue, http_endpoint):
    http_endpoint.status = 400
    dlq_url, dlq_arn = make_queue("dlq")
    bus, _, _ = api_destination_rule(events, f"{http_endpoint.url}/bad", DeadLetterConfig={"Arn": dlq_arn})
    events.put_events(Entries=[entry(bus)])
    (message,) = receive(sqs, dlq_url)
    attributes = attributes_of(message)
    assert attributes["RETRY_ATTEMPTS"] == "0" and "EXHAUSTED_RETRY_CONDITION" not in attributes
    assert len(http_endpoint.requests) == 1


def test_event_waiting_for_a_retry_survives_kill_9(tmp_path):
    port = free_port()
    server = ServerProcess(str(tmp_path)).start()
    try:
        events = client("events", server.endpoint)
        bus, _, _ = api_destination_rule(events, f"http://127.0.0.1:{port}/later")
        events.put_events(Entries=[entry(bus)])
    finally:
        server.kill()
    endpoint = ThreadingHTTPServer(("127.0.0.1", port), Recorder)
    endpoint.requests, endpoint.status, endpoint.delay = [], 200, 0.0
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    server.start()
    try:
        for _ in range(30):
            if endpoint.requests:
                break
            server.admin("/_cloudlet/clock", {"advance": 60})
        assert endpoint.requests and json.loads(endpoint.requests[0]["body"])["source"] == entry()["Source"]
    finally:
        server.kill()
        endpoint.shutdown()
        endpoint.server_close()


def test_invocation_rate_limit_spreads_calls_over_seconds(events, http_endpoint):
    """Rate 1 per second: three events reach the endpoint in three different seconds."""
    bus, _, destination = api_destination_rule(events, f"{http_endpoint.url}/slow")
    name = destination.split(":api-destination/")[1].split("/")[0]
    events.update_api_destination(Name=name, InvocationRateLimitPerSecond=1)
    events.put_events(Entries=[entry(bus), entry(bus), entry(bus)])
    arrivals: list[float] = []
    deadline = time.monotonic() + 10
    while len(arrivals) < 3 and time.monotonic() < deadline:
        if len(http_endpoint.requests) > len(arrivals):
            arrivals += [time.monotonic()] * (len(http_endpoint.requests) - len(arrivals))
        time.sleep(0.01)
    assert len(arrivals) == 3
    assert arrivals[2] - arrivals[0] > 0.9
