"""Projection expressions: parsing, AWS's errors and projecting nested paths."""

from __future__ import annotations

import copy

import pytest

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.expressions import ExpressionContext, parse_projection, project


def projection_error(text: str, names: dict | None = None) -> str:
    with pytest.raises(ServiceError) as info:
        parse_projection(text, ExpressionContext(names))
    assert info.value.code == "ValidationException"
    return info.value.message


ITEM = {
    "pk": {"S": "p1"},
    "mylist": {"L": [{"S": "zero"}, {"S": "one"}, {"S": "two"}, {"S": "three"}]},
    "listOfMaps": {
        "L": [
            {"M": {"val": {"S": "a0"}, "x": {"S": "x0"}}},
            {"M": {"val": {"S": "a1"}, "x": {"S": "x1"}}},
            {"M": {"val": {"S": "a2"}, "x": {"S": "x2"}}},
        ]
    },
    "listWithNull": {"L": [{"S": "keep0"}, {"NULL": True}, {"S": "keep2"}]},
    "deep": {"M": {"l1": {"M": {"l2": {"M": {"l3": {"S": "bottom"}, "sib": {"S": "s"}}}}}}},
    "nestedList": {"L": [{"M": {"inner": {"L": [{"S": "i0"}, {"S": "i1"}]}}}]},
    "a": {"M": {"b": {"S": "bv"}, "c": {"S": "cv"}}},
}


def projected(text: str, names: dict | None = None) -> dict:
    snapshot = copy.deepcopy(ITEM)
    result = project(parse_projection(text, ExpressionContext(names)), ITEM)
    assert snapshot == ITEM
    return result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pk", {"pk": {"S": "p1"}}),
        ("pk, absent", {"pk": {"S": "p1"}}),
        ("mylist[0], mylist[2]", {"mylist": {"L": [{"S": "zero"}, {"S": "two"}]}}),
        ("mylist[2], mylist[0]", {"mylist": {"L": [{"S": "zero"}, {"S": "two"}]}}),
        ("mylist[1], mylist[3], mylist[9]", {"mylist": {"L": [{"S": "one"}, {"S": "three"}]}}),
        (
            "listOfMaps[0].val, listOfMaps[2].val",
            {"listOfMaps": {"L": [{"M": {"val": {"S": "a0"}}}, {"M": {"val": {"S": "a2"}}}]}},
        ),
        ("listWithNull[1]", {"listWithNull": {"L": [{"NULL": True}]}}),
        ("listWithNull[0], listWithNull[2]", {"listWithNull": {"L": [{"S": "keep0"}, {"S": "keep2"}]}}),
        ("deep.l1.l2.l3", {"deep": {"M": {"l1": {"M": {"l2": {"M": {"l3": {"S": "bottom"}}}}}}}}),
        ("a.b, a.c", {"a": {"M": {"b": {"S": "bv"}, "c": {"S": "cv"}}}}),
        ("a.absent", {}),
        ("a[0], mylist.x", {}),
        ("pk[0]", {}),
    ],
)
def test_projection(text: str, expected: dict) -> None:
    assert projected(text) == expected


def test_projection_through_names() -> None:
    assert projected("nestedList[0].#i[1]", {"#i": "inner"}) == {
        "nestedList": {"L": [{"M": {"inner": {"L": [{"S": "i1"}]}}}]}
    }


def test_projection_keeps_names_with_dots() -> None:
    item = {"a.b": {"S": "flat"}, "a": {"M": {"b": {"S": "nested"}}}}
    assert project(parse_projection("#ab", ExpressionContext({"#ab": "a.b"})), item) == {"a.b": {"S": "flat"}}


@pytest.mark.parametrize(
    ("text", "one", "two"),
    [
        ("a, a.b", "[a]", "[a, b]"),
        ("a.b, a", "[a, b]", "[a]"),
        ("a, a", "[a]", "[a]"),
        ("alist[0], alist", "[alist, [0]]", "[alist]"),
        ("x, a.b, a", "[a, b]", "[a]"),
        ("#p, #p.#q", "[a]", "[a, b]"),
    ],
)
def test_overlapping_paths(text: str, one: str, two: str) -> None:
    assert projection_error(text, {"#p": "a", "#q": "b"} if "#" in text else None) == (
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one "
        f"of these paths; path one: {one}, path two: {two}"
    )


def test_conflicting_paths() -> None:
    assert projection_error("a.b, a[1]") == (
        "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one "
        "of these paths; path one: [a, b], path two: [a, [1]]"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The expression can not be empty;"),
        ("a,", 'Syntax error; token: "<EOF>", near: ","'),
        ("a b", 'Syntax error; token: "b", near: "a b"'),
        ("a..b", 'Syntax error; token: ".", near: "..b"'),
        ("size(a)", 'Syntax error; token: "(", near: "size(a"'),
        ("name", "Attribute name is a reserved keyword; reserved keyword: name"),
        ("a.#u", "An expression attribute name used in the document path is not defined; attribute name: #u"),
        ("z" * 4097, "Expression size has exceeded the maximum allowed size;"),
    ],
)
def test_projection_errors(text: str, message: str) -> None:
    assert projection_error(text) == "Invalid ProjectionExpression: " + message


def test_overlap_is_reported_before_unused_names() -> None:
    ctx = ExpressionContext({"#z": "zzz"})
    with pytest.raises(ServiceError) as info:
        parse_projection("a, a.b", ctx)
    assert "overlap" in info.value.message
