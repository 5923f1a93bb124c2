"""Unit tests for S3 bucket notifications (configuration checks, routing, message formats).

Where the expectations come from:

- ``/work/shared/aws-reference/s3/test_s3_notifications_{sqs,sns,lambda,eventbridge}.snapshot.json``
  and ``test_s3_api.snapshot.json``: records, EventBridge events and errors recorded from real
  AWS. Tests compare against them directly (placeholders such as ``<region>`` or ``date``
  stand for "some value"); they skip if the reference folder is absent.
- The S3 user guide (event message structure and the test message, event types, key-name
  filtering and its overlap examples, the EventBridge event structure and type mapping).
- The botocore S3 model (the ``Event`` enum).

Assertions on what neither source shows carry an ``# unverified`` comment.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3 import notifications as n

REFERENCE = Path("/work/shared/aws-reference/s3")
REGION = "us-east-1"
ACCOUNT = "111111111111"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:my-queue"
QUEUE_2 = f"arn:aws:sqs:{REGION}:{ACCOUNT}:my-queue-2"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:my-topic"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:my-lambda"
NOW = 1_700_000_000.123456  # 2023-11-14T22:13:20.123456Z
MALFORMED = "The XML you provided was not well-formed or did not validate against our published schema"


def recorded(file: str, test: str) -> dict[str, Any]:
    path = REFERENCE / f"{file}.snapshot.json"
    if not path.exists():
        pytest.skip("aws-reference recordings not available")
    data = json.loads(path.read_text())
    for name, value in data.items():
        if name.endswith("::" + test):
            return value["recorded-content"]
    raise KeyError(test)


def recorded_error(content: dict[str, Any]) -> dict[str, Any]:
    return {**content["Error"], "Status": content["ResponseMetadata"]["HTTPStatusCode"]}


def error_of(exc: ServiceError) -> dict[str, Any]:
    return {"Code": exc.code, "Message": exc.message, **exc.fields, "Status": exc.status}


_PLACEHOLDER = re.compile(r"<[^>]+>")
_MASKED = {"date", "sequencer", "object-sequencer", "amz-id", "amz-request-id", "request-id", "version-id"}


def assert_like(ours: Any, theirs: Any, path: str = "") -> None:
    """Same keys everywhere; equal leaves, except where the recording holds a placeholder."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), path
        assert set(ours) == set(theirs), f"{path}: {sorted(ours)} != {sorted(theirs)}"
        for key in theirs:
            assert_like(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_like(a, b, f"{path}[{i}]")
    elif isinstance(theirs, str) and (theirs in _MASKED or _PLACEHOLDER.search(theirs)):
        assert isinstance(ours, str) and ours, path
        if _PLACEHOLDER.fullmatch(theirs) is None and _PLACEHOLDER.search(theirs):
            pattern = re.escape(theirs)
            pattern = re.sub(r"<[^>]+>", ".+", pattern.replace(r"\<", "<").replace(r"\>", ">"))
            assert re.fullmatch(pattern, ours), f"{path}: {ours!r} !~ {theirs!r}"
    else:
        assert ours == theirs, f"{path}: {ours!r} != {theirs!r}"


def everything_exists(kind: str, arn: str) -> bool:
    return True


def validate(config: dict[str, Any], exists=everything_exists, **kw) -> dict[str, Any]:
    return n.validate_configuration(config, exists, **kw)


def validation_error(config: dict[str, Any], exists=everything_exists, **kw) -> dict[str, Any]:
    with pytest.raises(ServiceError) as info:
        n.validate_configuration(config, exists, **kw)
    return error_of(info.value)


def queue_config(events=("s3:ObjectCreated:*",), prefix=None, suffix=None, arn=QUEUE, id=None):
    entry: dict[str, Any] = {"QueueArn": arn, "Events": list(events)}
    if id is not None:
        entry["Id"] = id
    rules = []
    if prefix is not None:
        rules.append({"Name": "prefix", "Value": prefix})
    if suffix is not None:
        rules.append({"Name": "suffix", "Value": suffix})
    if rules:
        entry["Filter"] = {"Key": {"FilterRules": rules}}
    return entry


def topic_config(events=("s3:ObjectCreated:*",), prefix=None, suffix=None, arn=TOPIC):
    entry = queue_config(events, prefix, suffix, arn)
    entry["TopicArn"] = entry.pop("QueueArn")
    return entry


# ---------------------------------------------------------------- event types


def test_event_types_are_the_models_enum():
    model = botocore.session.get_session().get_service_model("s3")
    assert set(model.shape_for("Event").enum) == n.EVENT_TYPES


# ---------------------------------------------------------------- validation: good configurations


def test_empty_configuration_stores_nothing():
    assert validate({}) == {}
    assert validate(None) == {}


def test_filter_rule_names_are_case_insensitive_and_rendered_capitalized():
    content = recorded("test_s3_notifications_sqs", "test_filter_rules_case_insensitive")
    expected = content["bucket_notification_configuration"]
    config = {
        "QueueConfigurations": [
            {
                "QueueArn": QUEUE + "-abc",
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {
                    "Key": {
                        "FilterRules": [
                            {"Name": "PREFIX", "Value": "notif-"},
                            {"Name": "SuFfIx", "Value": ".txt"},
                        ]
                    }
                },
            }
        ]
    }
    stored = validate(config)
    assert_like({**stored, "ResponseMetadata": expected["ResponseMetadata"]}, expected)
    assert stored["QueueConfigurations"][0]["Filter"]["Key"]["FilterRules"] == [
        {"Name": "Prefix", "Value": "notif-"},
        {"Name": "Suffix", "Value": ".txt"},
    ]


def test_empty_filter_value_is_accepted():
    expected = recorded("test_s3_notifications_sqs", "test_filter_rules_empty_value")
    stored = validate({"QueueConfigurations": [queue_config(suffix="", arn=QUEUE + "-abc")]})
    assert_like(
        {**stored, "ResponseMetadata": expected["bucket_notification_configuration"]["ResponseMetadata"]},
        expected["bucket_notification_configuration"],
    )


def test_missing_ids_are_generated_as_s3_does_and_given_ids_kept():
    stored = validate(
        {
            "QueueConfigurations": [queue_config(id="id123456")],
            "TopicConfigurations": [topic_config(events=["s3:ObjectRemoved:*"])],
        }
    )
    assert stored["QueueConfigurations"][0]["Id"] == "id123456"
    generated = stored["TopicConfigurations"][0]["Id"]
    assert len(generated) == 48  # like the CLI reference's example id
    uuid.UUID(base64.b64decode(generated).decode())
    assert validate({"QueueConfigurations": [queue_config()]}) != validate(
        {"QueueConfigurations": [queue_config()]}
    )


def test_recorded_configuration_with_two_filtered_queue_configurations():
    expected = recorded("test_s3_notifications_sqs", "test_notifications_with_filter")["config"]
    config = {
        "QueueConfigurations": [
            queue_config(
                events=["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
                prefix="testupload/",
                suffix="testfile.txt",
                id="config-1",
            ),
            queue_config(
                events=["s3:ObjectTagging:*"], prefix="testupload/", suffix="testfile.txt", id="id0002"
            ),
        ]
    }
    stored = validate(config)
    assert_like({**stored, "ResponseMetadata": expected["ResponseMetadata"]}, expected)


def test_all_destination_kinds_and_eventbridge_are_kept_in_model_order():
    stored = validate(
        {
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": FUNCTION, "Events": ["s3:ObjectRemoved:*"], "Id": "l"}
            ],
            "QueueConfigurations": [queue_config(events=["s3:ObjectRestore:*"], id="q")],
            "TopicConfigurations": [{**topic_config(), "Id": "t"}],
            "EventBridgeConfiguration": {},
        }
    )
    assert list(stored) == [
        "TopicConfigurations",
        "QueueConfigurations",
        "LambdaFunctionConfigurations",
        "EventBridgeConfiguration",
    ]
    assert stored["EventBridgeConfiguration"] == {}
    assert stored["LambdaFunctionConfigurations"] == [
        {"Id": "l", "LambdaFunctionArn": FUNCTION, "Events": ["s3:ObjectRemoved:*"]}
    ]
    assert "Filter" not in stored["TopicConfigurations"][0]


@pytest.mark.parametrize(
    "configs",
    [
        # user guide: valid configurations with key-name filtering
        [
            queue_config(["s3:ObjectCreated:Put"], prefix="images/"),
            queue_config(["s3:ObjectCreated:Put"], prefix="logs/"),
        ],
        [
            queue_config(["s3:ObjectCreated:Put"], suffix=".jpg"),
            queue_config(["s3:ObjectCreated:Put"], suffix=".png"),
        ],
        [
            queue_config(["s3:ObjectCreated:Put"], prefix="images", suffix=".jpg"),
            queue_config(["s3:ObjectCreated:Put"], prefix="images", suffix=".png"),
        ],
        # overlapping filters with different event types
        [
            queue_config(["s3:ObjectCreated:Put"], prefix="image/"),
            queue_config(["s3:ObjectRemoved:*"], prefix="image/"),
        ],
        [queue_config(["s3:ObjectCreated:*"]), queue_config(["s3:ObjectRemoved:*"])],
        [queue_config(["s3:ObjectCreated:Put"]), queue_config(["s3:ObjectCreated:Copy"])],
    ],
    ids=[
        "prefixes",
        "suffixes",
        "prefix-with-different-suffixes",
        "different-events",
        "created-removed",
        "put-copy",
    ],
)
def test_configurations_that_do_not_overlap_are_accepted(configs):
    stored = validate({"QueueConfigurations": configs})
    assert len(stored["QueueConfigurations"]) == 2


# ---------------------------------------------------------------- validation: bad configurations


@pytest.mark.parametrize(
    "configs",
    [
        # user guide: the root prefix overlaps with any other prefix
        [topic_config(), topic_config(prefix="images")],
        # user guide: overlapping suffixes (jpg / pg), ObjectCreated:* covers ObjectCreated:Put
        [topic_config(suffix="jpg"), topic_config(["s3:ObjectCreated:Put"], suffix="pg")],
        # user guide: overlapping prefixes and suffixes
        [topic_config(prefix="images", suffix="jpg"), topic_config(["s3:ObjectCreated:Put"], suffix="jpg")],
        # overlapping prefixes (one starts the other), no suffixes
        [topic_config(prefix="a/"), topic_config(prefix="a/b/")],
        # the same event with no filter at all
        [
            topic_config(["s3:ObjectRemoved:Delete"]),
            topic_config(["s3:ObjectRemoved:Delete"], arn=TOPIC + "2"),
        ],
    ],
    ids=["root-prefix", "suffixes", "prefix-and-suffix", "prefixes", "no-filters"],
)
def test_overlapping_configurations_for_the_same_event_type_are_refused(configs):
    assert validation_error({"TopicConfigurations": configs}) == {
        "Code": "InvalidArgument",
        "Message": n.OVERLAP_MESSAGE,  # message: as AWS users report it; fields unverified
        "Status": 400,
    }


def test_overlap_is_checked_across_destination_kinds():
    config = {
        "TopicConfigurations": [topic_config(prefix="uploads/")],
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": FUNCTION, "Events": ["s3:ObjectCreated:Put"]}],
    }
    assert validation_error(config)["Message"] == n.OVERLAP_MESSAGE


def test_invalid_filter_rule_name():
    content = recorded("test_s3_api", "test_bucket_notification_with_invalid_filter_rules")
    config = {
        "QueueConfigurations": [
            {
                "QueueArn": QUEUE,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "INVALID", "Value": "x"}]}},
            }
        ]
    }
    assert validation_error(config) == recorded_error(content["invalid_filter_name"])


@pytest.mark.parametrize(
    "rule", [{}, {"Name": "prefix"}, {"Value": "x"}], ids=["no-values", "no-value", "no-name"]
)
def test_filter_rule_without_name_or_value_is_malformed(rule):
    content = recorded("test_s3_api", "test_bucket_notification_with_missing_values_in_rule")
    config = {
        "QueueConfigurations": [
            {"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [rule]}}}
        ]
    }
    assert validation_error(config) == recorded_error(content["invalid-rule-no-value"])


@pytest.mark.parametrize("name", ["prefix", "suffix"])
def test_at_most_one_prefix_and_one_suffix_per_configuration(name):
    rules = [{"Name": name, "Value": "a"}, {"Name": name.upper(), "Value": "b"}]
    config = {
        "QueueConfigurations": [
            {"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": rules}}}
        ]
    }
    error = validation_error(config)
    assert error["Code"] == "InvalidArgument" and error["Status"] == 400
    assert error["Message"] == f"Cannot specify more than one {name} rule in a filter."
    assert error["ArgumentName"] == "FilterRule.Name"  # unverified


@pytest.mark.parametrize("event", ["s3:ObjectCreated:Foo", "ObjectCreated:Put", "s3:*", "s3:objectcreated:*"])
def test_unknown_event_names_are_refused(event):
    error = validation_error({"QueueConfigurations": [queue_config([event])]})
    assert error["Code"] == "InvalidArgument" and error["Status"] == 400
    assert error["Message"] == "The event is not supported for notifications"
    assert error["ArgumentValue"] == event  # ArgumentName/Value unverified


@pytest.mark.parametrize(
    "entry",
    [{"QueueArn": QUEUE}, {"QueueArn": QUEUE, "Events": []}, {"Events": ["s3:ObjectCreated:*"]}],
    ids=["no-events", "empty-events", "no-arn"],
)
def test_configuration_without_events_or_destination_is_malformed(entry):
    assert validation_error({"QueueConfigurations": [entry]}) == {
        "Code": "MalformedXML",
        "Message": MALFORMED,  # unverified for this case (recorded for filter rules)
        "Status": 400,
    }


def test_ids_must_be_unique():
    config = {
        "QueueConfigurations": [queue_config(id="same")],
        "TopicConfigurations": [{**topic_config(["s3:ObjectRemoved:*"]), "Id": "same"}],
    }
    error = validation_error(config)
    assert error["Code"] == "InvalidArgument"
    assert error["Message"] == "Same ID used for multiple configurations. IDs must be unique."


@pytest.mark.parametrize(
    ("file", "test", "list_name", "arn_member"),
    [
        ("test_s3_notifications_sqs", "test_invalid_sqs_arn", "QueueConfigurations", "QueueArn"),
        ("test_s3_notifications_sns", "test_invalid_topic_arn", "TopicConfigurations", "TopicArn"),
        (
            "test_s3_notifications_lambda",
            "test_invalid_lambda_arn",
            "LambdaFunctionConfigurations",
            "LambdaFunctionArn",
        ),
    ],
)
@pytest.mark.parametrize("skip", [False, True], ids=["validate", "skip-validation"])
def test_unparseable_arn(file, test, list_name, arn_member, skip):
    content = recorded(file, test)
    expected = recorded_error(content["invalid_skip" if skip else "invalid_not_skip"])
    bad = expected["ArgumentValue"]
    config = {list_name: [{arn_member: bad, "Events": ["s3:ObjectCreated:*"], "Id": "id123"}]}
    assert validation_error(config, skip_destination_validation=skip) == expected


def test_first_unparseable_arn_is_reported():
    content = recorded("test_s3_notifications_sqs", "test_multiple_invalid_sqs_arns")
    config = {
        "QueueConfigurations": [
            queue_config(arn="invalid_arn", prefix="a"),
            queue_config(arn="invalid_arn_2", prefix="b"),
        ]
    }
    assert validation_error(config) == recorded_error(content["two-queue-arns-invalid"])


def test_unparseable_arn_is_reported_before_a_missing_destination():
    content = recorded("test_s3_notifications_sqs", "test_multiple_invalid_sqs_arns")
    config = {
        "QueueConfigurations": [queue_config(prefix="a"), queue_config(arn="invalid_arn_2", prefix="b")]
    }
    assert validation_error(config, lambda kind, arn: False) == recorded_error(
        content["one-queue-invalid-one-not-existent"]
    )


def _concrete(expected: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v.replace("<partition>", "aws").replace("<region>", REGION) if isinstance(v, str) else v
        for k, v in expected.items()
    }


def test_missing_queue():
    content = recorded("test_s3_notifications_sqs", "test_invalid_sqs_arn")
    calls = []

    def exists(kind, arn):
        calls.append((kind, arn))
        return False

    config = {"QueueConfigurations": [queue_config(id="id123")]}
    assert validation_error(config, exists) == _concrete(recorded_error(content["queue-does-not-exist"]))
    assert calls == [("sqs", QUEUE)]


def test_every_missing_queue_is_listed():
    content = recorded("test_s3_notifications_sqs", "test_multiple_invalid_sqs_arns")
    config = {
        "QueueConfigurations": [
            queue_config(prefix="a"),
            queue_config(arn=QUEUE_2, prefix="b"),
            queue_config(arn=QUEUE_2, prefix="c"),  # the same queue twice: listed once
        ]
    }
    expected = _concrete(recorded_error(content["multiple-queues-do-not-exist"]))
    calls = []
    error = validation_error(config, lambda kind, arn: calls.append(arn) and False)
    assert error == expected
    assert calls == [QUEUE, QUEUE_2]
    assert list(error)[2:6] == ["ArgumentName1", "ArgumentValue1", "ArgumentName2", "ArgumentValue2"]


def test_missing_function():
    content = recorded("test_s3_notifications_lambda", "test_invalid_lambda_arn")
    config = {
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": FUNCTION, "Events": ["s3:ObjectCreated:*"]}]
    }
    assert validation_error(config, lambda kind, arn: kind != "lambda") == _concrete(
        recorded_error(content["lambda-does-not-exist"])
    )


def test_missing_topic():
    config = {"TopicConfigurations": [topic_config()]}
    error = validation_error(config, lambda kind, arn: kind != "sns")
    assert error["Message"] == "Unable to validate the following destination configurations"
    assert error["ArgumentName1"] == TOPIC
    assert error["ArgumentValue1"] == "The destination topic does not exist"  # unverified


@pytest.mark.parametrize(
    ("file", "test", "list_name", "arn_member", "arn"),
    [
        ("test_s3_notifications_sqs", "test_invalid_sqs_arn", "QueueConfigurations", "QueueArn", QUEUE),
        ("test_s3_notifications_sns", "test_invalid_topic_arn", "TopicConfigurations", "TopicArn", TOPIC),
        (
            "test_s3_notifications_lambda",
            "test_invalid_lambda_arn",
            "LambdaFunctionConfigurations",
            "LambdaFunctionArn",
            FUNCTION,
        ),
    ],
)
def test_skip_destination_validation_saves_a_missing_destination(file, test, list_name, arn_member, arn):
    expected = recorded(file, test)["skip_destination_validation"]

    def never(kind, arn):
        raise AssertionError("destination_exists must not be called")

    config = {list_name: [{arn_member: arn, "Events": ["s3:ObjectCreated:*"], "Id": "id123"}]}
    stored = n.validate_configuration(config, never, skip_destination_validation=True)
    ours = {**stored, "ResponseMetadata": expected["ResponseMetadata"]}
    ours[list_name][0][arn_member] = (
        ours[list_name][0][arn_member].replace(REGION, "<region>").replace("arn:aws:", "arn:<partition>:")
    )
    assert ours == expected


# ---------------------------------------------------------------- matching


def stored_config(**lists) -> dict[str, Any]:
    return validate(lists)


def test_wildcards_match_every_event_of_their_family():
    config = stored_config(QueueConfigurations=[queue_config(["s3:ObjectCreated:*"], id="c")])
    for event in ["s3:ObjectCreated:Put", "ObjectCreated:Copy", "s3:ObjectCreated:CompleteMultipartUpload"]:
        assert n.matching_destinations(config, event, "k") == [("sqs", QUEUE, "c")]
    for event in ["s3:ObjectRemoved:Delete", "s3:ObjectRestore:Post", "s3:ObjectTagging:Put"]:
        assert n.matching_destinations(config, event, "k") == []


def test_exact_event_types_match_only_themselves():
    config = stored_config(
        QueueConfigurations=[
            queue_config(["s3:ObjectRemoved:DeleteMarkerCreated", "s3:LifecycleTransition"], id="c")
        ]
    )
    assert n.matching_destinations(config, "s3:ObjectRemoved:DeleteMarkerCreated", "k") == [
        ("sqs", QUEUE, "c")
    ]
    assert n.matching_destinations(config, "s3:LifecycleTransition", "k") == [("sqs", QUEUE, "c")]
    assert n.matching_destinations(config, "s3:ObjectRemoved:Delete", "k") == []


def test_prefix_and_suffix_filters():
    config = stored_config(
        QueueConfigurations=[queue_config(prefix="testupload/", suffix="testfile.txt", id="both")],
        TopicConfigurations=[topic_config(suffix=".jpg")],
    )
    topic_id = config["TopicConfigurations"][0]["Id"]
    put = "s3:ObjectCreated:Put"
    assert n.matching_destinations(config, put, "testupload/dir1/testfile.txt") == [("sqs", QUEUE, "both")]
    assert n.matching_destinations(config, put, "testupload/dir1/other.txt") == []
    assert n.matching_destinations(config, put, "elsewhere/testfile.txt") == []
    assert n.matching_destinations(config, put, "a.jpg") == [("sns", TOPIC, topic_id)]
    assert n.matching_destinations(config, put, "a.jpeg") == []


def test_each_kind_routes_to_its_destination():
    config = stored_config(
        QueueConfigurations=[queue_config(["s3:ObjectCreated:*"], id="q")],
        LambdaFunctionConfigurations=[
            {
                "LambdaFunctionArn": FUNCTION,
                "Events": ["s3:ObjectRemoved:*"],
                "Id": "l",
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "logs/"}]}},
            }
        ],
        TopicConfigurations=[{**topic_config(["s3:ObjectRemoved:Delete"], prefix="images/"), "Id": "t"}],
    )
    assert n.matching_destinations(config, "s3:ObjectCreated:Put", "logs/x") == [("sqs", QUEUE, "q")]
    assert n.matching_destinations(config, "s3:ObjectRemoved:Delete", "images/x") == [("sns", TOPIC, "t")]
    assert n.matching_destinations(config, "s3:ObjectRemoved:Delete", "logs/x") == [("lambda", FUNCTION, "l")]
    assert n.matching_destinations(config, "s3:ObjectRemoved:Delete", "other/x") == []


def test_every_matching_configuration_is_returned_in_model_order():
    # A validated configuration never has two that fire together (that is what the overlap
    # rule refuses); a hand-made one shows the order.
    config = {
        "LambdaFunctionConfigurations": [
            {"Id": "l", "LambdaFunctionArn": FUNCTION, "Events": ["s3:ObjectCreated:*"]}
        ],
        "QueueConfigurations": [{"Id": "q", "QueueArn": QUEUE, "Events": ["s3:ObjectCreated:Put"]}],
        "TopicConfigurations": [{"Id": "t", "TopicArn": TOPIC, "Events": ["s3:ObjectCreated:Put"]}],
    }
    assert n.matching_destinations(config, "s3:ObjectCreated:Put", "k") == [
        ("sns", TOPIC, "t"),
        ("sqs", QUEUE, "q"),
        ("lambda", FUNCTION, "l"),
    ]


def test_filters_apply_to_the_url_encoded_key():
    # The user guide: a prefix/suffix with a space is written with "+", other special
    # characters percent-encoded, i.e. the form the record's key takes.
    config = stored_config(
        QueueConfigurations=[queue_config(["s3:ObjectCreated:Put"], prefix="my+folder/", id="space")],
        TopicConfigurations=[topic_config(["s3:ObjectCreated:Copy"], suffix="%40home.txt")],
    )
    put, copy = "s3:ObjectCreated:Put", "s3:ObjectCreated:Copy"
    assert n.matching_destinations(config, put, "my folder/a b.txt") == [("sqs", QUEUE, "space")]
    assert n.matching_destinations(config, put, "myfolder/a.txt") == []
    assert [d[0] for d in n.matching_destinations(config, copy, "me@home.txt")] == ["sns"]
    assert n.matching_destinations(config, copy, "me%40home.txt") == []  # a real "%" is "%25"
    raw = stored_config(QueueConfigurations=[queue_config(prefix="my folder/")])
    assert n.matching_destinations(raw, put, "my folder/a.txt") == []


def test_no_configuration_no_destination_and_eventbridge_separately():
    assert n.matching_destinations({}, "s3:ObjectCreated:Put", "k") == []
    assert n.matching_destinations(None, "s3:ObjectCreated:Put", "k") == []
    config = stored_config(EventBridgeConfiguration={})
    assert n.matching_destinations(config, "s3:ObjectCreated:Put", "k") == []
    assert n.eventbridge_enabled(config)
    assert not n.eventbridge_enabled(stored_config(QueueConfigurations=[queue_config()]))
    assert not n.eventbridge_enabled({})


def test_test_event_goes_to_queues_and_topics_once_each():
    config = stored_config(
        QueueConfigurations=[queue_config(prefix="a"), queue_config(prefix="b")],
        TopicConfigurations=[topic_config(["s3:ObjectRemoved:*"])],
        LambdaFunctionConfigurations=[{"LambdaFunctionArn": FUNCTION, "Events": ["s3:ObjectRestore:*"]}],
    )
    assert n.test_event_destinations(config) == [("sns", TOPIC), ("sqs", QUEUE)]


# ---------------------------------------------------------------- key encoding


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("a@b", "a%40b"),  # recorded (test_key_encoding)
        ("testupload/dir1/testfile.txt", "testupload/dir1/testfile.txt"),  # recorded
        ("red flower.jpg", "red+flower.jpg"),  # user guide
        ("a+b", "a%2Bb"),
        ("dt=2018-05-04/_SUCCESS", "dt%3D2018-05-04/_SUCCESS"),
        ("10:47:07.log", "10%3A47%3A07.log"),
        ("über/日本.txt", "%C3%BCber/%E6%97%A5%E6%9C%AC.txt"),
        ("a&b?c#d%e", "a%26b%3Fc%23d%25e"),
        ("(1) copy", "%281%29+copy"),
        ("*-_.", "*-_."),  # unverified: as Java's form encoder leaves them
        ("~", "%7E"),  # unverified
    ],
)
def test_keys_are_url_encoded_as_s3_encodes_them(key, encoded):
    assert n.encode_key(key) == encoded


# ---------------------------------------------------------------- records


def record(event_name="s3:ObjectCreated:Put", **kw) -> dict[str, Any]:
    args = {
        "event_name": event_name,
        "region": REGION,
        "bucket": "my-bucket",
        "key": "my_key_0",
        "configuration_id": "config-1",
        "now": NOW,
        "request_id": "C3D13FE58DE4C810",
        "host_id": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        "source_ip": "127.0.0.1",
        "principal_id": "AWS:AIDAJDPLRKLG7UEXAMPLE",
        "owner_id": "A3NL1KOZZKExample",
        "size": 9,
        "etag": "437b930db84b8079c2dd804a71936b5f",
        "sequencer": "0055AED6DCD90281E5",
    }
    args.update(kw)
    return n.event_record(**args)


def sqs_records(test: str, step: str = "receive_messages") -> list[dict[str, Any]]:
    content = recorded("test_s3_notifications_sqs", test)[step]
    return content["messages"] if isinstance(content, dict) else content


def test_object_created_record_field_by_field():
    expected = sqs_records("test_object_created_put")[0]
    ours = record()
    assert_like(ours, expected)
    assert ours == {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": "2023-11-14T22:13:20.123Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "config-1",
            "bucket": {
                "name": "my-bucket",
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": "arn:aws:s3:::my-bucket",
            },
            "object": {
                "key": "my_key_0",
                "size": 9,
                "eTag": "437b930db84b8079c2dd804a71936b5f",
                "sequencer": "0055AED6DCD90281E5",
            },
        },
    }


def test_record_keys_are_in_the_order_s3_writes_them():
    # The X-Ray test recorded the message body as sent, unsorted.
    body = recorded("test_s3_notifications_sqs", "test_xray_header")["receive_messages"]["messages"][0][
        "Body"
    ]
    expected = body["Records"][0]
    ours = record(key="test-data")
    assert_like(ours, expected)
    assert list(ours) == list(expected)
    assert list(ours["s3"]) == list(expected["s3"])
    assert list(ours["s3"]["bucket"]) == list(expected["s3"]["bucket"])
    assert list(ours["s3"]["object"]) == list(expected["s3"]["object"])
    assert list(ours["responseElements"]) == list(expected["responseElements"])


@pytest.mark.parametrize(
    ("test", "index", "event_name", "kw"),
    [
        ("test_object_created_copy", 0, "s3:ObjectCreated:Copy", {}),
        (
            "test_object_created_complete_multipart_upload",
            0,
            "s3:ObjectCreated:CompleteMultipartUpload",
            {"key": "test-key", "size": 6144, "etag": "8eabe9d6b43316e840b079170916c079-1"},
        ),
        (
            "test_object_created_and_object_removed",
            2,
            "s3:ObjectRemoved:Delete",
            {"size": None, "etag": None},
        ),
        ("test_delete_objects", 0, "s3:ObjectRemoved:Delete", {}),  # size/eTag passed, still left out
        (
            "test_object_tagging_put_event",
            0,
            "s3:ObjectTagging:Put",
            {"etag": "f3e6da48d914f3f04f6bd9cb092c044d"},
        ),
        (
            "test_object_tagging_delete_event",
            0,
            "s3:ObjectTagging:Delete",
            {"etag": "f3e6da48d914f3f04f6bd9cb092c044d"},
        ),
        ("test_object_put_acl", 0, "s3:ObjectAcl:Put", {"key": "my_key_acl"}),
        ("test_restore_object", 0, "s3:ObjectRestore:Post", {"key": "my_key_restore"}),
        ("test_key_encoding", 0, "s3:ObjectCreated:Put", {"key": "a@b"}),
    ],
)
def test_records_match_the_recorded_ones(test, index, event_name, kw):
    expected = sqs_records(test)[index]
    ours = record(event_name, **kw)
    if "<object-key" in expected["s3"]["object"]["key"]:
        expected = json.loads(json.dumps(expected).replace(expected["s3"]["object"]["key"], "my_key_0"))
    assert_like(ours, expected)


def test_restore_completed_record_carries_glacier_data_and_s3_as_the_user():
    expected = sqs_records("test_restore_object")[1]
    ours = record(
        "s3:ObjectRestore:Completed",
        key="my_key_restore",
        source_ip="10.0.0.1",
        restore_expiry_time=NOW + 86400,
        restore_storage_class="GLACIER",
    )
    assert_like(ours, expected)
    assert ours["userIdentity"] == {"principalId": "AmazonCustomer:A3NL1KOZZKExample"}
    assert ours["glacierEventData"] == {
        "restoreEventData": {
            "lifecycleRestorationExpiryTime": "2023-11-15T22:13:20.123Z",
            "lifecycleRestoreStorageClass": "GLACIER",
        }
    }
    assert list(ours)[-1] == "glacierEventData"


def test_versioned_bucket_records():
    active = sqs_records("test_object_created_put_versioned", "message-versioning-active")
    put = record(key="test-key", size=13, etag="6869c34ca384e0ed836d49214f881e87", version_id="v2")
    assert_like(put, active[0])
    assert list(put["s3"]["object"]) == ["key", "size", "eTag", "versionId", "sequencer"]
    delete = record("s3:ObjectRemoved:Delete", key="test-key", version_id="v1")
    assert_like(delete, active[2])
    marker = record("s3:ObjectRemoved:DeleteMarkerCreated", key="test-key", etag=None, version_id="v3")
    assert_like(marker, active[3])
    assert marker["s3"]["object"]["eTag"] == "d41d8cd98f00b204e9800998ecf8427e"

    suspended = sqs_records("test_object_created_put_versioned", "message-versioning-suspended")
    null_version_put = record(key="test-key", size=13, etag="2fb1d4988881168bbcd6432d7593be5a")
    assert_like(null_version_put, suspended[0])
    assert "versionId" not in null_version_put["s3"]["object"]
    assert_like(record("s3:ObjectRemoved:Delete", key="test-key", version_id="v3"), suspended[1])


def test_record_key_is_url_encoded_and_bucket_arn_follows_the_partition():
    ours = record(key="my folder/ü+1.txt", region="cn-north-1")
    assert ours["s3"]["object"]["key"] == "my+folder/%C3%BC%2B1.txt"
    assert ours["s3"]["bucket"]["arn"] == "arn:aws-cn:s3:::my-bucket"
    assert ours["awsRegion"] == "cn-north-1"


@pytest.mark.parametrize(
    ("event", "version"),
    [
        ("s3:ObjectCreated:Put", "2.1"),
        ("ObjectRemoved:Delete", "2.1"),
        ("s3:ObjectRestore:Completed", "2.1"),
        ("s3:ObjectTagging:Put", "2.3"),
        ("s3:ObjectAcl:Put", "2.3"),
        ("s3:LifecycleExpiration:Delete", "2.3"),
        ("s3:ObjectRestore:Delete", "2.3"),
        ("s3:Replication:OperationFailedReplication", "2.2"),
    ],
)
def test_event_version_by_event_type(event, version):
    assert n.event_version(event) == version


def test_event_time_has_milliseconds_and_z():
    assert record(now=0)["eventTime"] == "1970-01-01T00:00:00.000Z"
    assert record(now=1.9999)["eventTime"] == "1970-01-01T00:00:01.999Z"


def test_message_body_is_compact_json_of_the_records():
    records = [record(), record("s3:ObjectRemoved:Delete")]
    body = n.message(records)
    assert json.loads(body) == {"Records": records}
    assert body.startswith('{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3",')
    assert ": " not in body and ", " not in body


def test_sns_subject():
    content = recorded("test_s3_notifications_sns", "test_object_created_put")
    assert content["receive_messages"]["messages"][0]["Subject"] == n.SNS_SUBJECT


# ---------------------------------------------------------------- test event


def test_test_event_shape():
    body = n.test_event(
        "bucketname", "5582815E1AEA5ADF", "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+Ystd", NOW
    )
    parsed = json.loads(body)
    # the user guide's example test message, field for field and in its order
    assert list(parsed) == ["Service", "Event", "Time", "Bucket", "RequestId", "HostId"]
    assert parsed == {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2023-11-14T22:13:20.123Z",
        "Bucket": "bucketname",
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+Ystd",
    }
    assert "Records" not in parsed


# ---------------------------------------------------------------- EventBridge


def eb_event(event_name="s3:ObjectCreated:Put", **kw) -> dict[str, Any]:
    args = {
        "event_name": event_name,
        "account": ACCOUNT,
        "region": REGION,
        "bucket": "my-bucket",
        "key": "my key",
        "request_id": "N4N7GDK58NMKJ12R",
        "requester": "123456789012",
        "now": NOW,
        "source_ip": "1.2.3.4",
        "size": 4,
        "etag": "8d777f385d3dfec8815d20f7496026dc",
        "sequencer": "00617F08299329D189",
    }
    args.update(kw)
    return n.eventbridge_event(**args)


def eb_recorded(test: str, step: str) -> Any:
    return recorded("test_s3_notifications_eventbridge", test)[step]


def test_eventbridge_object_created():
    expected = eb_recorded("test_object_created_put", "object_created")
    ours = eb_event()
    assert_like(ours, expected)
    assert ours["detail"]["object"] == {
        "key": "my key",  # not URL-encoded
        "size": 4,
        "etag": "8d777f385d3dfec8815d20f7496026dc",
        "sequencer": "617f08299329d189",
    }
    assert ours["time"] == "2023-11-14T22:13:20Z"
    assert ours["resources"] == ["arn:aws:s3:::my-bucket"]
    assert ours["detail"]["reason"] == "PutObject"
    uuid.UUID(ours["id"])


def test_eventbridge_event_keys_are_in_the_order_s3_writes_them():
    # The versioned test recorded the events unsorted.
    expected = eb_recorded("test_object_created_put_versioned", "message-versioning-active")
    created = eb_event(key="test-key", size=13, etag="2fb1d4988881168bbcd6432d7593be5a")
    assert_like(created, expected[0])
    assert list(created) == list(expected[0])
    assert list(created["detail"]) == list(expected[0]["detail"])
    assert list(created["detail"]["object"]) == list(expected[0]["detail"]["object"])
    deleted = eb_event("s3:ObjectRemoved:Delete", key="test-key", version_id="v3")
    assert_like(deleted, expected[1])
    assert list(deleted["detail"]) == list(expected[1]["detail"])
    assert list(deleted["detail"]["object"]) == list(expected[1]["detail"]["object"])


def test_eventbridge_object_deleted():
    expected = eb_recorded("test_object_created_put", "object_deleted")
    ours = eb_event("s3:ObjectRemoved:Delete")
    assert_like(ours, expected)
    assert ours["detail"]["deletion-type"] == "Permanently Deleted"
    assert ours["detail"]["reason"] == "DeleteObject"


def test_eventbridge_delete_marker_and_lifecycle_expiration():
    # the user guide's examples
    marker = eb_event(
        "s3:ObjectRemoved:DeleteMarkerCreated", etag=None, version_id="1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF"
    )
    assert marker["detail-type"] == "Object Deleted"
    assert marker["detail"]["object"] == {
        "key": "my key",
        "etag": "d41d8cd98f00b204e9800998ecf8427e",
        "version-id": "1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF",
        "sequencer": "617f08299329d189",
    }
    assert marker["detail"]["deletion-type"] == "Delete Marker Created"
    lifecycle = eb_event(
        "s3:LifecycleExpiration:DeleteMarkerCreated",
        requester=n.S3_SERVICE_PRINCIPAL,
        source_ip=None,
        etag=None,
    )
    assert lifecycle["detail"]["reason"] == "Lifecycle Expiration"
    assert lifecycle["detail"]["requester"] == "s3.amazonaws.com"
    assert "source-ip-address" not in lifecycle["detail"]
    assert list(lifecycle["detail"]) == [
        "version",
        "bucket",
        "object",
        "request-id",
        "requester",
        "reason",
        "deletion-type",
    ]


def test_eventbridge_acl_updated():
    expected = eb_recorded("test_object_put_acl", "messages")["messages"][0]
    ours = eb_event("s3:ObjectAcl:Put", etag="437b930db84b8079c2dd804a71936b5f")
    assert_like(ours, expected)


def test_eventbridge_restore_initiated_and_completed():
    initiated, completed = eb_recorded("test_restore_object", "messages")["messages"]
    etag = "437b930db84b8079c2dd804a71936b5f"
    ours = eb_event("s3:ObjectRestore:Post", size=9, etag=etag, source_storage_class="GLACIER")
    assert_like(ours, initiated)
    ours = eb_event(
        "s3:ObjectRestore:Completed",
        size=9,
        etag=etag,
        source_ip=None,
        requester=n.S3_SERVICE_PRINCIPAL,
        restore_expiry_time=NOW + 86400,
        source_storage_class="GLACIER",
    )
    assert_like(ours, completed)
    assert ours["detail"]["restore-expiry-time"] == "2023-11-15T22:13:20Z"


@pytest.mark.parametrize(
    ("event", "detail_type", "reason"),
    [
        ("s3:ObjectCreated:Copy", "Object Created", "CopyObject"),
        ("s3:ObjectCreated:CompleteMultipartUpload", "Object Created", "CompleteMultipartUpload"),
        ("s3:ObjectTagging:Put", "Object Tags Added", None),
        ("s3:ObjectTagging:Delete", "Object Tags Deleted", None),
        ("s3:ObjectRestore:Delete", "Object Restore Expired", None),
        ("s3:LifecycleTransition", "Object Storage Class Changed", None),
        ("s3:IntelligentTiering", "Object Access Tier Changed", None),
    ],
)
def test_eventbridge_detail_types(event, detail_type, reason):
    ours = eb_event(event)
    assert ours["detail-type"] == detail_type
    assert ours["detail"].get("reason") == reason


def test_events_eventbridge_does_not_carry():
    assert eb_event("s3:Replication:OperationFailedReplication") is None
    assert eb_event("s3:ReducedRedundancyLostObject") is None


def test_eventbridge_reason_can_be_given():
    assert eb_event("s3:ObjectRemoved:Delete", reason="DeleteObjects")["detail"]["reason"] == "DeleteObjects"


def test_put_events_entry():
    event = eb_event()
    entry = n.put_events_entry(event)
    assert entry == {
        "Source": "aws.s3",
        "DetailType": "Object Created",
        "Detail": json.dumps(event["detail"], separators=(",", ":")),
        "Resources": ["arn:aws:s3:::my-bucket"],
        "Time": "2023-11-14T22:13:20Z",
    }


# ---------------------------------------------------------------- sequencer


def test_sequencer_values_only_grow_and_sort_as_strings():
    seq = n.Sequencer()
    values = [seq.next(NOW) for _ in range(5)] + [seq.next(NOW + 0.5), seq.next(NOW - 10), seq.next(NOW + 60)]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert all(re.fullmatch(r"[0-9A-F]{18}", v) for v in values)
    # like S3's, a value starts with the epoch seconds in hex
    assert values[0].startswith("00" + f"{int(NOW):08X}")
    assert int(values[1], 16) == int(values[0], 16) + 1


def test_sequencer_keeps_growing_after_a_restart():
    first = n.Sequencer()
    last = first.next(NOW + 5)
    again = n.Sequencer(last)
    assert again.next(NOW) > last
    assert n.Sequencer(first.last).next(NOW) > last


def test_eventbridge_form_of_a_sequencer():
    assert n.eventbridge_sequencer("0055AED6DCD90281E5") == "55aed6dcd90281e5"
    assert n.eventbridge_sequencer("617F08299329D189") == "617f08299329d189"
    value = n.Sequencer().next(NOW)
    assert eb_event(sequencer=value)["detail"]["object"]["sequencer"] == value[2:].lower()
