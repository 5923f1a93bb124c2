"""SNS filter policies applied to messages, in process: attribute types and body scope."""

from __future__ import annotations

import json

import pytest

from cloudlet.services.sns.filtering import rejection

ATTRS = {
    "store": {"DataType": "String", "StringValue": "example_corp"},
    "price": {"DataType": "Number", "StringValue": "210.75"},
    "sizes": {"DataType": "String.Array", "StringValue": '["small", "large"]'},
    "blob": {"DataType": "Binary", "BinaryValue": b"x"},
}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ({"store": ["example_corp"]}, True),
        ({"price": [{"numeric": [">=", 100]}]}, True),
        ({"price": [210.75]}, True),
        ({"sizes": ["large"]}, True),
        ({"sizes": ["medium"]}, False),
        ({"blob": [{"exists": True}]}, False),
        ({"missing": [{"exists": False}]}, True),
    ],
)
def test_attribute_scope(policy: dict, expected: bool) -> None:
    entry = {"Message": "m", "Structure": None, "Attributes": ATTRS}
    assert (rejection(json.dumps(policy), "MessageAttributes", "sqs", entry) is None) is expected


def test_body_scope_nested() -> None:
    policy = json.dumps({"order": {"total": [{"numeric": [">", 10]}]}})

    def passes(body: str) -> bool:
        return (
            rejection(policy, "MessageBody", "sqs", {"Message": body, "Structure": None, "Attributes": {}})
            is None
        )

    assert passes('{"order": {"total": 11}}')
    assert not passes('{"order": {"total": 9}}')
    assert not passes("not json")
