"""Target input shaping (transform.py) against AWS's recorded outputs
(/work/shared/aws-reference/events/test_events_inputs.snapshot.json), without a server."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.events.transform import (
    InputRenderError,
    check_target_input,
    parse_path,
    render_input,
    render_template,
)

RULE_ARN = "arn:aws:events:us-east-1:111111111111:rule/my-bus/my-rule"
RULE_NAME = "my-rule"
DETAIL = {"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}
SPECIAL_DETAIL = {
    **DETAIL,
    "listsingle": ["HIGH"],
    "listmulti": ["ACTIVE", "INACTIVE"],
    "valid": True,
}


def event_of(detail: dict) -> dict:
    return {
        "version": "0",
        "id": "9f1c0a3e-0000-4000-8000-000000000001",
        "detail-type": "core.update-account-command",
        "source": "core.update-account-command",
        "account": "111111111111",
        "time": "2024-01-02T03:04:05Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


EVENT = event_of(DETAIL)
SPECIAL = event_of(SPECIAL_DETAIL)


def render(target: dict, event: dict = EVENT, **kw) -> str:
    check_target_input({"Id": "t1", **target})
    return render_input(target, event, rule_name=RULE_NAME, rule_arn=RULE_ARN, **kw)


def transformer(template: str, paths: dict | None = None) -> dict:
    body: dict = {"InputTemplate": template}
    if paths is not None:
        body["InputPathsMap"] = paths
    return {"InputTransformer": body}


def refused(target: dict) -> str:
    with pytest.raises(ServiceError) as caught:
        check_target_input({"Id": "t1", **target})
    assert caught.value.code == "ValidationException"
    assert caught.value.status == 400
    return caught.value.message


# ---- no input, Input, InputPath -------------------------------------------------------------


def test_no_input_is_the_whole_event():
    assert json.loads(render({})) == EVENT


def test_input_is_verbatim():
    text = '{"custom-value":   "somecustominput"}'
    assert render({"Input": text}) == text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.detail", DETAIL),  # recorded: test_put_events_with_input_path
        ("$.detail.payload", DETAIL["payload"]),  # recorded: ..._nested[event_detail0]
        ("$", EVENT),
        ("$.resources", []),
    ],
)
def test_input_path_selects(path, expected):
    assert json.loads(render({"InputPath": path})) == expected


def test_input_path_nested_duplicated_key():
    detail = {
        "command": "update-account",
        "payload": {"acc_id": "0a787ecb-4015", "payload": {"message": "baz", "id": "123"}},
    }
    body = render({"InputPath": "$.detail.payload"}, event_of(detail))
    assert json.loads(body) == {"acc_id": "0a787ecb-4015", "payload": {"message": "baz", "id": "123"}}


def test_input_path_to_a_string_is_a_json_string():
    # recorded: test_put_events_with_input_path_max_level_depth -> Body "\"baz\""
    assert render({"InputPath": "$.detail.payload.sf_id"}) == '"baz"'


def test_input_path_array_index_and_brackets():
    event = event_of({"items": [{"id": "a"}, {"id": "b"}]})
    assert render({"InputPath": "$.detail.items[1].id"}, event) == '"b"'
    assert render({"InputPath": "$['detail']['items'][0]"}, event) == '{"id":"a"}'
    assert json.loads(render({"InputPath": "$.detail.items[*].id"}, event)) == ["a", "b"]


def test_input_path_missing_is_not_delivered():
    with pytest.raises(InputRenderError):
        render({"InputPath": "$.notexisting"})
    with pytest.raises(InputRenderError):
        render({"InputPath": "$.detail.payload[3]"})


# ---- InputTransformer, recorded templates ---------------------------------------------------

MAP = {"detail-type": "$.detail-type", "timestamp": "$.time", "command": "$.detail.command"}
MAP_MISSING = {**MAP, "command": "$.detail.notinmessage"}


@pytest.mark.parametrize(
    ("template", "paths", "expected"),
    [
        (
            '"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"',
            MAP,
            '"Event of core.update-account-command type, at time 2024-01-02T03:04:05Z, info extracted from detail update-account"',
        ),
        (
            '"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"',
            MAP_MISSING,
            '"Event of core.update-account-command type, at time 2024-01-02T03:04:05Z, info extracted from detail "',
        ),
        (
            '"{[/Check with special starting characters for event of <detail-type> type"',
            MAP,
            '"{[/Check with special starting characters for event of core.update-account-command type"',
        ),
        (
            '"{[/Check with special starting characters for event of <detail-type> type"',
            MAP_MISSING,
            '"{[/Check with special starting characters for event of core.update-account-command type"',
        ),
    ],
)
def test_string_templates(template, paths, expected):
    assert render(transformer(template, paths)) == expected


def test_json_template():
    template = '{"detailType": <detail-type>,  "time": <timestamp>, "command": <command>}'
    assert json.loads(render(transformer(template, MAP))) == {
        "detailType": "core.update-account-command",
        "time": "2024-01-02T03:04:05Z",
        "command": "update-account",
    }
    # recorded: a missing value outside quotes becomes ""
    assert json.loads(render(transformer(template, MAP_MISSING)))["command"] == ""


NESTED_MAP = {
    "userId": "$.detail.payload.acc_id",
    "payload": "$.detail.payload",
    "systemstring": "$.detail.awsAccountId",
    "listsingle": "$.detail.listsingle",
    "listmulti": "$.detail.listmulti",
    "valid": "$.detail.valid",
}
PAYLOAD = {"acc_id": "0a787ecb-4015", "sf_id": "baz"}
USER = "0a787ecb-4015"

RECORDED_JSON = [
    (
        '{"method": "PUT", "path": "users-service/users/<userId>", "bod": <payload>}',
        {"method": "PUT", "path": f"users-service/users/{USER}", "bod": PAYLOAD},
    ),
    ('{"id" : <userId>}', {"id": USER}),
    ('{"id" : "<userId>"}', {"id": USER}),
    (
        '{"method": "PUT", "path": "users-service/users/<userId>", "id": <userId>, "body": <payload>}',
        {"method": "PUT", "path": f"users-service/users/{USER}", "id": USER, "body": PAYLOAD},
    ),
    (
        '{"method": "PUT", "path": "users-service/users/<userId>", "bod": [<userId>, "hardcoded"]}',
        {"method": "PUT", "path": f"users-service/users/{USER}", "bod": [USER, "hardcoded"]},
    ),
    (
        '{"method": "PUT", "nested": {"level1": {"level2": {"level3": "users-service/users/<userId>"} } }, "bod": "<userId>"}',
        {
            "method": "PUT",
            "nested": {"level1": {"level2": {"level3": f"users-service/users/{USER}"}}},
            "bod": USER,
        },
    ),
    ('{"singlelistitem": <listsingle>}', {"singlelistitem": ["HIGH"]}),
    (
        '{"multi_replacement": "users/<userId>/second/<userId>"}',
        {"multi_replacement": f"users/{USER}/second/{USER}"},
    ),
]


@pytest.mark.parametrize(("template", "expected"), RECORDED_JSON)
def test_nested_keys_json_templates(template, expected):
    assert json.loads(render(transformer(template, NESTED_MAP), SPECIAL)) == expected


RECORDED_STRINGS = [
    (
        '"Payload of <payload> with path users-service/users/<userId> and <userId>"',
        f'"Payload of {{acc_id:{USER},sf_id:baz}} with path users-service/users/{USER} and {USER}"',
    ),
    ('"<listsingle> single list item"', '"[HIGH] single list item"'),
    ('"<listmulti> multiple list items"', '"[ACTIVE,INACTIVE] multiple list items"'),
    (
        '"<listsingle> single list item <listmulti> multiple list items <systemstring> system account id '
        '<payload> payload <userId> user id"',
        f'"[HIGH] single list item [ACTIVE,INACTIVE] multiple list items  system account id '
        f'{{acc_id:{USER},sf_id:baz}} payload {USER} user id"',
    ),
    (
        '"<listsingle> single list item"\n"<listmulti> multiple list items"\n"<systemstring> system account id"\n'
        '"<payload> payload"\n"<userId> user id"',
        '"[HIGH] single list item"\n"[ACTIVE,INACTIVE] multiple list items"\n" system account id"\n'
        f'"{{acc_id:{USER},sf_id:baz}} payload"\n"{USER} user id"',
    ),
    ('"Command is <valid>!"', '"Command is true!"'),
]


@pytest.mark.parametrize(("template", "expected"), RECORDED_STRINGS)
def test_nested_keys_string_templates(template, expected):
    assert render(transformer(template, NESTED_MAP), SPECIAL) == expected


@pytest.mark.parametrize(
    "template",
    [
        '{"not_valid": "users-service/users/<payload>", "bod": <payload>}',
        '{"payload": "<payload>"}',
        '{"singlelistitem": "<listsingle>"}',
        '{"singlelistitem": "<listsingle>", "multiplelistitems": "<listmulti>"}',
    ],
)
def test_object_inside_quotes_of_a_json_template_is_not_delivered(template):
    # recorded (test_input_transformer_nested_keys_replacement_not_valid): no message arrives
    with pytest.raises(InputRenderError):
        render(transformer(template, NESTED_MAP), SPECIAL)


def test_predefined_variables_in_a_string():
    template = (
        '"Message containing all pre defined variables <aws.events.rule-arn> <aws.events.rule-name> '
        '<aws.events.event.ingestion-time>"'
    )
    body = render(transformer(template), ingestion_time=1704164645.9)
    assert (
        body == f'"Message containing all pre defined variables {RULE_ARN} {RULE_NAME} 2024-01-02T03:04:05Z"'
    )


def test_predefined_event_variables_in_json():
    template = '{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>}'
    body = json.loads(render(transformer(template)))
    assert body["originalEventJson"] == EVENT
    # recorded: the event without detail, "detailType" for "detail-type", in AWS's order
    assert list(body["originalEvent"]) == [
        "id",
        "account",
        "detailType",
        "time",
        "source",
        "region",
        "resources",
        "version",
    ]
    assert body["originalEvent"]["detailType"] == "core.update-account-command"
    assert "detail" not in body["originalEvent"]


def test_ingestion_time_defaults_to_the_event_time():
    assert render(transformer('"<aws.events.event.ingestion-time>"')) == '"2024-01-02T03:04:05Z"'


def test_unquoted_string_template():
    # the API reference's example: "<instance> is in state <status>"
    event = event_of({"instance": "i-1", "status": "RUNNING"})
    paths = {"instance": "$.detail.instance", "status": "$.detail.status"}
    assert render(transformer("<instance> is in state <status>", paths), event) == "i-1 is in state RUNNING"
    template = '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}'
    assert json.loads(render(transformer(template, paths), event)) == {
        "myInstance": "i-1",
        "myStatus": 'i-1 is in state "RUNNING"',
    }


def test_values_of_every_json_type():
    event = event_of({"n": 1.5, "i": 7, "f": False, "z": None, "s": "x"})
    paths = {k: f"$.detail.{k}" for k in "nifzs"}
    body = render(
        transformer('{"n": <n>, "i": <i>, "f": <f>, "z": <z>, "s": <s>, "t": "<n>/<i>/<f>/<z>/<s>"}', paths),
        event,
    )
    assert json.loads(body) == {"n": 1.5, "i": 7, "f": False, "z": None, "s": "x", "t": "1.5/7/false/null/x"}


def test_string_value_with_a_quote_inside_quotes_of_a_json_template_is_not_delivered():
    # unverified: AWS documents that it does not escape the values it inserts
    event = event_of({"s": 'say "hi"'})
    with pytest.raises(InputRenderError):
        render(transformer('{"s": "<s>"}', {"s": "$.detail.s"}), event)
    assert json.loads(render(transformer('{"s": <s>}', {"s": "$.detail.s"}), event)) == {"s": 'say "hi"'}


def test_render_tolerates_unchecked_targets():
    kw = {"rule_name": "r", "rule_arn": "a"}
    assert (
        render_input({"InputTransformer": {"InputPathsMap": {"a": 5}, "InputTemplate": '"<a>"'}}, EVENT, **kw)
        == '""'
    )
    assert (
        render_input({"InputTransformer": {"InputPathsMap": None, "InputTemplate": '"x"'}}, EVENT, **kw)
        == '"x"'
    )
    with pytest.raises(InputRenderError):
        render_input({"InputPath": 5}, EVENT, **kw)


def test_template_text_that_is_not_a_placeholder_is_kept():
    assert render(transformer('"a < b and c > d"', {})) == '"a < b and c > d"'


def test_deep_event_and_large_template():
    deep: dict = {}
    node = deep
    for _ in range(600):  # deeper than orjson writes
        node["a"] = {}
        node = node["a"]
    node["leaf"] = "x"
    assert "InputPath" in refused({"InputPath": "$.detail" + ".a" * 200 + ".leaf"})  # over 256 characters
    body = render_input({"InputPath": "$.detail"}, event_of(deep), rule_name="r", rule_arn="a")
    assert body.count("{") == 601 and body.endswith('{"leaf":"x"' + "}" * 601)
    assert render({"InputPath": "$.detail" + ".a" * 20}, event_of(deep)).startswith('{"a":')
    assert render(transformer('{"v": <v>}', {"v": "$.detail.a.a"}), event_of(deep)).count("{") == 600
    template = '"' + "<v>" * 2700 + '"'
    assert len(template) <= 8192
    assert render(transformer(template, {"v": "$.detail.command"})) == '"' + "update-account" * 2700 + '"'


# ---- PutTargets checks ------------------------------------------------------------------------


def test_only_one_input_kind():
    message = refused({"InputPath": "$.detail", "InputTransformer": {"InputTemplate": '"x"'}})
    assert (
        message == "Only one of Input, InputPath, or InputTransformer must be provided for target t1."
    )  # recorded
    assert refused({"Input": "{}", "InputPath": "$"}).startswith("Only one of")


def test_nulls_count_as_absent():
    check_target_input({"Id": "t1", "Input": None, "InputPath": None, "InputTransformer": None})
    check_target_input({"Id": "t1", "Input": "{}", "InputPath": None})


def test_template_placeholder_must_be_defined():
    message = refused(transformer('"Event of <detail-type> type, with not defined key <notdefinedkey>"', MAP))
    assert message == "InputTemplate for target t1 contains invalid placeholder notdefinedkey."  # recorded


def test_predefined_placeholders_need_no_map():
    check_target_input({"Id": "t1", **transformer("<aws.events.event.json>")})


@pytest.mark.parametrize("text", ["env:dev", "{'a': 1}", "{", "", "NaN", "[1,]", '{"a": 1} x'])
def test_input_must_be_json(text):
    assert refused({"Input": text}).startswith("JSON syntax error in input for target t1: [Source: (String)")


@pytest.mark.parametrize("text", ['"just a string"', "17", "null", "[]", '{"a": {"b": [1, 2]}}'])
def test_input_any_json_value(text):
    check_target_input({"Id": "t1", "Input": text})


def test_input_deeply_nested_json_is_refused_not_crashing():
    # unverified: AWS's parser's nesting limit (orjson's is 1024)
    assert refused({"Input": "[" * 2000 + "]" * 2000}).startswith("JSON syntax error")


def test_input_too_long_or_wrong_type():
    refused({"Input": json.dumps("x" * 8192)})
    refused({"Input": 12})


@pytest.mark.parametrize(
    "path", ["detail", "$.", "$..detail", "$.detail[", "$.a b", "$[x]", "", 5, "$" + ".a" * 200]
)
def test_input_path_must_be_a_json_path(path):
    assert "InputPath" in refused({"InputPath": path})


@pytest.mark.parametrize(
    "path", ["$", "$.detail", "$.detail-type", "$.a_b/c.d[0]", "$.a[*]", "$.*", "$['x y']"]
)
def test_valid_input_paths(path):
    check_target_input({"Id": "t1", "InputPath": path})


def test_paths_map_values_use_dot_notation():
    check_target_input({"Id": "t1", **transformer("<a>", {"a": "$.detail.list[0].x"})})
    refused(transformer("<a>", {"a": "$['detail']"}))
    refused(transformer("<a>", {"a": "detail"}))
    refused(transformer("<a>", {"a": None}))


@pytest.mark.parametrize(
    "key", ["aws.events.rule-name", "AWS.x", "aws.events.event", "has space", "dot.ted", "", "k" * 257]
)
def test_paths_map_bad_keys(key):
    refused(transformer('"x"', {key: "$.detail"}))


def test_paths_map_at_most_100():
    check_target_input({"Id": "t1", **transformer('"x"', {f"k{i}": "$.detail" for i in range(100)})})
    refused(transformer('"x"', {f"k{i}": "$.detail" for i in range(101)}))


def test_template_bounds_and_types():
    refused(transformer(""))
    refused(transformer("x" * 8193))
    refused({"InputTransformer": {"InputPathsMap": {"a": "$.detail"}}})
    refused({"InputTransformer": {"InputTemplate": None}})
    refused({"InputTransformer": "<a>"})
    refused(transformer("<a>", ["$.detail"]))  # type: ignore[arg-type]


# ---- properties -------------------------------------------------------------------------------

_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.text(alphabet=st.characters(blacklist_characters='"\\', blacklist_categories=("Cs", "Cc"))),
)
_json = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(_json)
def test_bare_placeholder_in_json_template_round_trips(value):
    body = render_template('{"v": <v>}', {"v": value})
    assert json.loads(body) == {"v": value}


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_string_template_of_any_text_never_raises(text):
    # a string template is never refused at delivery: it is sent as text
    template = '"' + text.replace("<", "").replace("{", "").replace("[", "") + ' <v>"'
    assert render_template(template, {"v": "x"}).endswith(' x"')


@given(st.text(max_size=40))
def test_parse_path_never_raises(path):
    steps = parse_path(path)
    assert steps is None or path.startswith("$")
