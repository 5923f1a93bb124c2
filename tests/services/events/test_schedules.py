"""Schedule rules fire on the service clock: rate() from the rule's creation, cron() at its
UTC times, with AWS's "Scheduled Event" envelope; disabled or deleted rules stop firing; a
schedule survives kill -9."""

from __future__ import annotations

import json

from tests.services.events.conftest import unique
from tests.services.events.test_put_events import receive

from cloudlet.testing.server import ServerProcess, client


def drain(sqs, url: str, wait: float = 1.0) -> list[dict]:
    return receive(sqs, url, count=100, wait=wait)


def test_rate_schedule_fires_each_period(events, sqs, make_queue, cloudlet):
    url, arn = make_queue()
    rule = unique("rate")
    rule_arn = events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")["RuleArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    assert drain(sqs, url, 0.5) == []
    cloudlet.advance_clock(60)
    (first,) = receive(sqs, url)
    body = json.loads(first["Body"])
    assert body["source"] == "aws.events" and body["detail-type"] == "Scheduled Event"
    assert body["resources"] == [rule_arn] and body["detail"] == {}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    cloudlet.advance_clock(120)
    assert len(receive(sqs, url, count=2)) == 2
    events.disable_rule(Name=rule)
    cloudlet.advance_clock(300)
    events.remove_targets(Rule=rule, Ids=["q"])
    events.delete_rule(Name=rule)


def test_cron_schedule_fires_at_its_time(events, sqs, make_queue, cloudlet):
    url, arn = make_queue()
    rule = unique("cron")
    events.put_rule(Name=rule, ScheduleExpression="cron(0/5 * * * ? *)")
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn, "Input": '{"custom-value": "x"}'}])
    cloudlet.advance_clock(300)
    (message,) = receive(sqs, url)
    assert json.loads(message["Body"]) == {"custom-value": "x"}
    events.remove_targets(Rule=rule, Ids=["q"])
    events.delete_rule(Name=rule)


def test_schedule_survives_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        sqs = client("sqs", server.endpoint)
        events = client("events", server.endpoint)
        url = sqs.create_queue(QueueName="ticks")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="tick", ScheduleExpression="rate(5 minutes)")
        events.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": arn}])
    finally:
        server.kill()
    server.start()
    try:
        sqs = client("sqs", server.endpoint)
        server.admin("/_cloudlet/clock", {"advance": 300})
        got = receive(sqs, url)
        assert got and json.loads(got[0]["Body"])["detail-type"] == "Scheduled Event"
    finally:
        server.kill()
