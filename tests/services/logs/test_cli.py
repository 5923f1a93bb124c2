"""The AWS CLI v1 against CloudWatch Logs: a developer's round trip (v1 has no ``logs tail``)."""

from __future__ import annotations

import uuid

from tests.cli.test_aws_cli_identity import Aws, aws  # noqa: F401  (the fixture)


def test_cli_round_trip(aws: Aws, cloudlet):  # noqa: F811
    group = f"/cli/{uuid.uuid4().hex[:8]}"
    aws("logs", "create-log-group", "--log-group-name", group, "--tags", "team=core")
    aws("logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "s")
    now = int(cloudlet.clock()["now"] * 1000)  # the service clock: other tests move it on
    events = f"timestamp={now},message=hello timestamp={now + 1},message=ERROR-boom"
    out = aws(
        "logs",
        "put-log-events",
        "--log-group-name",
        group,
        "--log-stream-name",
        "s",
        "--log-events",
        *events.split(),
    )
    assert out["nextSequenceToken"]
    got = aws(
        "logs", "get-log-events", "--log-group-name", group, "--log-stream-name", "s", "--start-from-head"
    )
    assert [e["message"] for e in got["events"]] == ["hello", "ERROR-boom"]
    found = aws("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", "ERROR")
    assert [e["message"] for e in found["events"]] == ["ERROR-boom"]
    groups = aws("logs", "describe-log-groups", "--log-group-name-prefix", group)["logGroups"]
    assert groups[0]["arn"].endswith(f"log-group:{group}:*")
    assert aws("logs", "list-tags-log-group", "--log-group-name", group)["tags"] == {"team": "core"}
    aws.fails("ResourceAlreadyExistsException", "logs", "create-log-group", "--log-group-name", group)
    aws.fails(
        "ResourceNotFoundException",
        "logs",
        "delete-log-stream",
        "--log-group-name",
        group,
        "--log-stream-name",
        "x",
    )
    aws("logs", "delete-log-group", "--log-group-name", group)
