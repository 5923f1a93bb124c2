"""ARN helpers."""

from __future__ import annotations

import pytest

from cloudlet.core.arn import make_arn, parse_arn, partition_for


def test_make_arn_uses_the_region_partition():
    assert make_arn("sqs", "us-east-1", "123456789012", "q") == "arn:aws:sqs:us-east-1:123456789012:q"
    assert make_arn("sqs", "cn-north-1", "1", "q").startswith("arn:aws-cn:")
    assert make_arn("iam", "", "1", "role/r") == "arn:aws:iam::1:role/r"
    assert partition_for("us-gov-west-1") == "aws-us-gov"


def test_parse_arn_parts():
    arn = parse_arn("arn:aws:lambda:eu-west-1:123456789012:function:f:prod")
    assert (arn.service, arn.region, arn.account) == ("lambda", "eu-west-1", "123456789012")
    assert arn.resource_type == "function" and arn.resource_name == "f:prod"
    assert str(arn) == "arn:aws:lambda:eu-west-1:123456789012:function:f:prod"
    role = parse_arn("arn:aws:iam::123456789012:role/path/name")
    assert role.resource_type == "role" and role.resource_name == "path/name"


@pytest.mark.parametrize(
    "text", ["", "arn", "arn:aws:s3", "foo:aws:s3:::b", "arn::s3:::b", "arn:aws::::x", "arn:aws:s3:::"]
)
def test_parse_arn_rejects(text):
    with pytest.raises(ValueError):
        parse_arn(text)
