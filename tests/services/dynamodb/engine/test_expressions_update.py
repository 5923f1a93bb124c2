"""Update expressions: grammar, AWS's static and runtime errors, and update semantics."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.expressions import ExpressionContext, apply_update, parse_update, paths_in


def error_of(fn, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    assert info.value.code == "ValidationException"
    assert info.value.status == 400
    return info.value.message


def parse_error(text: str, names: dict | None = None, values: dict | None = None) -> str:
    return error_of(lambda: parse_update(text, ExpressionContext(names, values)))


def run(
    text: str, item: dict, names: dict | None = None, values: dict | None = None
) -> tuple[dict, list[str]]:
    snapshot = copy.deepcopy(item)
    result = apply_update(parse_update(text, ExpressionContext(names, values)), item)
    assert item == snapshot  # the input is never modified
    return result


def updated(text: str, item: dict, names: dict | None = None, values: dict | None = None) -> dict:
    return run(text, item, names, values)[0]


def runtime_error(text: str, item: dict, values: dict | None = None, names: dict | None = None) -> str:
    update = parse_update(text, ExpressionContext(names, values))
    return error_of(apply_update, update, item)


# ---------------------------------------------------------------- grammar errors


@pytest.mark.parametrize(
    ("text", "token", "near"),
    [
        ("INVALID SYNTAX HERE", "INVALID", "INVALID SYNTAX"),
        ("SET", "<EOF>", "SET"),
        ("set a", "<EOF>", "a"),
        ("ADD hits : incr", ":", "hits : incr"),
        ("set a=set", "set", "=set"),
        ("remove a = b", "=", "a = b"),
        ("delete a b", "b", "a b"),
        ("set :a = b", ":a", "set :a ="),
        ("set a = b * c", "*", "b * c"),
        ("set a[1] = 1", "1", "= 1"),
        ("SET a = if_not_exist(a, 100)", "100", ", 100)"),
        ("set a = (b.c).d + e", ".", ").d"),
        ("set a = b + c + d", "+", "c + d"),
        ("SET a = :a,", "<EOF>", ","),
        ("SET a = = b", "=", "= = b"),
    ],
)
def test_syntax_errors(text: str, token: str, near: str) -> None:
    assert parse_error(text) == f'Invalid UpdateExpression: Syntax error; token: "{token}", near: "{near}"'


def test_empty() -> None:
    assert parse_error("") == "Invalid UpdateExpression: The expression can not be empty;"


def test_size_limit_has_no_size_detail() -> None:
    assert parse_error("SET " + "a" * 4093 + " = b") == (
        "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;"
    )


NAMES = {"#a": "a", "#b": "b"}
VALUES = {":a": {"S": "a"}, ":b": {"S": "a"}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" set #c = :c set abOrt = true ", "Attribute name is a reserved keyword; reserved keyword: abOrt"),
        (" remove Absolute ", "Attribute name is a reserved keyword; reserved keyword: Absolute"),
        ("set #c = if_not_exist(:c) set c = d", "Invalid function name; function: if_not_exist"),
        ("set a = #c set c = :d", 'The "SET" section can only be used once in an update expression;'),
        (
            "remove #d set a = b remove e",
            'The "REMOVE" section can only be used once in an update expression;',
        ),
        ("add #d :e set a = b add e :f", 'The "ADD" section can only be used once in an update expression;'),
        (
            "delete #d :e set a = b delete #e :f",
            'The "DELETE" section can only be used once in an update expression;',
        ),
        (
            "SET #c = if_not_exists(:c)",
            "An expression attribute name used in the document path is not defined; attribute name: #c",
        ),
        (
            "SET #a = if_not_exists(:c)",
            "An expression attribute value used in expression is not defined; attribute value: :c",
        ),
        (
            "set a = if_not_exists(c)",
            "Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1",
        ),
        (
            "set a = list_append(c)",
            "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1",
        ),
        (
            "set a = if_not_exists(:a, c)",
            "Operator or function requires a document path; operator or function: if_not_exists",
        ),
        (
            "set a = if_not_exists(if_not_exists(a, b), c)",
            "Operator or function requires a document path; operator or function: if_not_exists",
        ),
        ("SET a = size(b)", "The function is not allowed in an update expression; function: size"),
        (
            "SET a = contains(b, :a)",
            "The function is not allowed in an update expression; function: contains",
        ),
    ],
)
def test_static_errors(text: str, message: str) -> None:
    assert parse_error(text, NAMES, VALUES) == "Invalid UpdateExpression: " + message


@pytest.mark.parametrize(
    ("text", "one", "two"),
    [
        ("set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)", "[c, [1], a]", "[c]"),
        ("set #c[3].#d = a, #c[3] = a", "[c, [3], [3]]", "[c, [3]]"),
        ("SET a = :v REMOVE a", "[a]", "[a]"),
        ("SET a.b = :v ADD a :n", "[a, b]", "[a]"),
    ],
)
def test_overlapping_paths(text: str, one: str, two: str) -> None:
    values = {":v": {"S": "x"}, ":n": {"N": "1"}} if ":" in text else None
    assert parse_error(text, {"#c": "c", "#d": "[3]"} if "#" in text else None, values) == (
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of "
        f"these paths; path one: {one}, path two: {two}"
    )


@pytest.mark.parametrize(
    ("text", "one", "two"),
    [
        ("set #c[3].#d = a, #c.#d[3] = if_not_exists(a)", "[c, [3], [3]]", "[c, [3], [3]]"),
        ("remove a.#c set a[1] = #d", "[a, c]", "[a, [1]]"),
    ],
)
def test_conflicting_paths(text: str, one: str, two: str) -> None:
    assert parse_error(text, {"#b": "b", "#c": "c", "#d": "[3]"}) == (
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of "
        f"these paths; path one: {one}, path two: {two}"
    )


@pytest.mark.parametrize(
    ("text", "value", "operator", "word"),
    [
        ("set b = list_append(:a, a), c = if_not_exists(a) add a.b :a", {"S": "a"}, "ADD", "STRING"),
        ("delete a.b :a", {"S": "a"}, "DELETE", "STRING"),
        ("add a.b :a", {"NULL": True}, "ADD", "NULL"),
        ("add a.b :a", {"BOOL": False}, "ADD", "BOOLEAN"),
        ("delete a.b :a", {"B": b"a"}, "DELETE", "BINARY"),
        ("add a.b :a", {"M": {"a": {"L": [{"N": "1"}]}}}, "ADD", "MAP"),
        ("add a.b :a", {"L": [{"N": "1"}]}, "ADD", "LIST"),
        ("delete a.b :a", {"N": "1"}, "DELETE", "NUMBER"),
    ],
)
def test_add_delete_operand_types(text: str, value: dict, operator: str, word: str) -> None:
    assert parse_error(text, None, {":a": value, ":b": {"S": "a"}}) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        f"operator: {operator}, operand type: {word}, typeSet: ALLOWED_FOR_{operator}_OPERAND"
    )


TYPED = {
    ":a": {"S": "a"},
    ":b": {"N": "1"},
    ":c": {"B": b"a"},
    ":d": {"BOOL": False},
    ":e": {"NULL": True},
    ":f": {"SS": ["a"]},
    ":i": {"M": {}},
    ":j": {"L": []},
}


@pytest.mark.parametrize(
    ("text", "function", "type_name"),
    [
        ("set a = list_append(:a, a)", "list_append", "S"),
        ("set a = list_append(a, :b)", "list_append", "N"),
        ("set a = list_append(:i, a)", "list_append", "M"),
        ("set a = a + :a", "+", "S"),
        ("set a = :a + :c", "+", "S"),
        ("set a = :c + a", "+", "B"),
        ("set a = a + :d", "+", "BOOL"),
        ("set a = a - :e", "-", "NULL"),
        ("set a = a - :f", "-", "SS"),
        ("set a = a - :j", "-", "L"),
        ("set a = list_append(a, b) + :b", "+", "L"),
    ],
)
def test_function_and_arithmetic_types(text: str, function: str, type_name: str) -> None:
    assert parse_error(text, None, TYPED) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        f"operator or function: {function}, operand type: {type_name}"
    )


# ---------------------------------------------------------------- SET


def test_set_values_and_paths() -> None:
    item = {"pk": {"S": "k"}, "m": {"M": {"x": {"N": "1"}}}, "l": {"L": [{"S": "a"}, {"S": "b"}]}}
    new, names = run(
        "SET a = :v, m.y = :v, m.x = :n, l[0] = :v, l[7] = :n",
        item,
        None,
        {":v": {"S": "new"}, ":n": {"N": "2"}},
    )
    assert new == {
        "pk": {"S": "k"},
        "a": {"S": "new"},
        "m": {"M": {"x": {"N": "2"}, "y": {"S": "new"}}},
        "l": {"L": [{"S": "new"}, {"S": "b"}, {"N": "2"}]},
    }
    assert names == ["a", "m", "l"]


def test_set_reads_the_old_item() -> None:
    new = updated("SET a = :v, b = a", {"a": {"S": "OLD"}}, None, {":v": {"S": "NEW"}})
    assert new == {"a": {"S": "NEW"}, "b": {"S": "OLD"}}


def test_set_arithmetic() -> None:
    item = {"n": {"N": "10"}, "m": {"M": {"c": {"N": "1.5"}}}}
    assert updated("SET n = n + :v", item, None, {":v": {"N": "5"}})["n"] == {"N": "15"}
    assert updated("SET n = (n - :v)", item, None, {":v": {"N": "12.25"}})["n"] == {"N": "-2.25"}
    assert updated("SET m.c = m.c + :v", item, None, {":v": {"N": "0.5"}})["m"] == {"M": {"c": {"N": "2"}}}
    assert updated("SET x = :a - :b", {}, None, {":a": {"N": "1E+2"}, ":b": {"N": "1"}})["x"] == {"N": "99"}


def test_set_arithmetic_overflow() -> None:
    item = {"n": {"N": "9.9999999999999999999999999999999999999E+125"}}
    assert runtime_error("SET n = n + :v", item, {":v": {"N": "1E+125"}}) == (
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )


def test_if_not_exists_and_list_append() -> None:
    values = {":zero": {"N": "0"}, ":one": {"N": "1"}, ":more": {"L": [{"S": "z"}]}, ":empty": {"L": []}}
    item = {"c": {"N": "5"}, "l": {"L": [{"S": "a"}]}}
    new = updated(
        "SET c = if_not_exists(c, :zero) + :one, d = if_not_exists(d, :zero) + :one, "
        "l = list_append(l, :more), f = list_append(:more, if_not_exists(g, :empty))",
        item,
        None,
        values,
    )
    assert new["c"] == {"N": "6"}
    assert new["d"] == {"N": "1"}
    assert new["l"] == {"L": [{"S": "a"}, {"S": "z"}]}
    assert new["f"] == {"L": [{"S": "z"}]}
    assert updated("SET l = list_append(:more, l)", item, None, values)["l"] == {
        "L": [{"S": "z"}, {"S": "a"}]
    }


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("SET c = b", None),
        ("SET e = list_append(b, c)", None),
        ("SET e = b + :n", {":n": {"N": "1"}}),
    ],
)
def test_reading_a_missing_attribute(text: str, values: dict | None) -> None:
    assert runtime_error(text, {"pk": {"S": "k"}}, values) == (
        "The provided expression refers to an attribute that does not exist in the item"
    )


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("SET e = s + :n", {":n": {"N": "1"}}),
        ("SET e = n - s", None),
        ("SET e = list_append(n, :l)", {":l": {"L": []}}),
        ("ADD s :n", {":n": {"N": "1"}}),
        ("ADD ns :ss", {":ss": {"SS": ["a"]}}),
        ("ADD n :ns", {":ns": {"NS": ["1"]}}),
        ("ADD m :n", {":n": {"N": "1"}}),
        ("DELETE ns :ss", {":ss": {"SS": ["a"]}}),
        ("DELETE n :ns", {":ns": {"NS": ["1"]}}),
        ("DELETE m :ns", {":ns": {"NS": ["1"]}}),
    ],
)
def test_incorrect_data_types(text: str, values: dict | None) -> None:
    item = {"s": {"S": "x"}, "n": {"N": "1"}, "ns": {"NS": ["1"]}, "m": {"M": {}}}
    assert (
        runtime_error(text, item, values) == "An operand in the update expression has an incorrect data type"
    )


@pytest.mark.parametrize(
    "text",
    [
        "set b.a = :a",
        "set b[1] = :a",
        "set y.a = :a",
        "set y[1] = :a",
        "set c[1] = :a",
        "set d.#1 = :a",
        "set y.z.w = :a",
        "remove b.a",
        "remove b[1]",
        "remove y.a",
        "remove y[1]",
        "remove c[1]",
        "remove d.#1",
        "delete b.a :a",
        "delete y.a :a",
        "delete c[1] :a",
        "delete d.#1 :a",
        "add b.a :a",
        "add y.a :a",
        "add c[1] :a",
        "add d.#1 :a",
    ],
)
def test_invalid_document_paths(text: str) -> None:
    item = {
        "a": {"S": "k"},
        "b": {"S": "x"},
        "c": {"M": {"1": {"S": "a"}}},
        "d": {"L": [{"S": "a"}, {"S": "b"}]},
    }
    names = {"#1": "1"} if "#1" in text else None
    assert runtime_error(text, item, {":a": {"SS": ["a"]}}, names) == (
        "The document path provided in the update expression is invalid for update"
    )


def test_set_on_a_missing_item() -> None:
    new, names = run("SET a = :v", {}, None, {":v": {"S": "x"}})
    assert new == {"a": {"S": "x"}}
    assert names == ["a"]
    assert runtime_error("SET b.a = :v", {}, {":v": {"S": "x"}}) == (
        "The document path provided in the update expression is invalid for update"
    )


# ---------------------------------------------------------------- REMOVE


def test_remove_attributes_and_nested_parts() -> None:
    item = {
        "a": {"S": "x"},
        "m": {"M": {"gone": {"S": "g"}, "keep": {"S": "k"}}},
        "l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}]},
    }
    new, names = run("REMOVE a, m.gone, l[1], absent, m.absent, l[10]", item)
    assert new == {"m": {"M": {"keep": {"S": "k"}}}, "l": {"L": [{"S": "a"}, {"S": "c"}, {"S": "d"}]}}
    assert names == ["a", "m", "l", "absent"]


def test_remove_several_list_elements_uses_original_indexes() -> None:
    item = {"l": {"L": [{"N": str(i)} for i in range(6)]}}
    new = updated("REMOVE l[1], l[4], l[2]", item)
    assert new["l"] == {"L": [{"N": "0"}, {"N": "3"}, {"N": "5"}]}


def test_remove_last_element_leaves_an_empty_list() -> None:
    assert updated("REMOVE l[0]", {"l": {"L": [{"S": "x"}]}}) == {"l": {"L": []}}


# ---------------------------------------------------------------- ADD and DELETE


def test_add_numbers_and_sets() -> None:
    item = {"n": {"N": "1"}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"\x01"]}}
    values = {
        ":n": {"N": "2.5"},
        ":ss": {"SS": ["b", "c"]},
        ":ns": {"NS": ["2.0", "3"]},
        ":bs": {"BS": [b"\x02"]},
    }
    new = updated("ADD n :n, ss :ss, ns :ns, bs :bs, fresh :n, fresh_set :ss", item, None, values)
    assert new["n"] == {"N": "3.5"}
    assert new["ss"] == {"SS": ["a", "b", "c"]}
    assert new["ns"] == {"NS": ["1", "2", "3"]}
    assert new["bs"] == {"BS": [b"\x01", b"\x02"]}
    assert new["fresh"] == {"N": "2.5"}
    assert new["fresh_set"] == {"SS": ["b", "c"]}


def test_add_nested() -> None:
    item = {"m": {"M": {"c": {"N": "1"}}}, "l": {"L": [{"N": "1"}]}}
    new = updated("ADD m.c :n, m.d :n, l[0] :n", item, None, {":n": {"N": "1"}})
    assert new == {"m": {"M": {"c": {"N": "2"}, "d": {"N": "1"}}}, "l": {"L": [{"N": "2"}]}}


def test_delete_from_sets() -> None:
    item = {"ss": {"SS": ["a", "b", "c"]}, "ns": {"NS": ["1", "2"]}, "m": {"M": {"s": {"SS": ["x"]}}}}
    values = {":ss": {"SS": ["b", "z"]}, ":ns": {"NS": ["1", "2.0"]}, ":x": {"SS": ["x"]}}
    new = updated("DELETE ss :ss, ns :ns, m.s :x, absent :ss", item, None, values)
    assert new == {"ss": {"SS": ["a", "c"]}, "m": {"M": {}}}


# ---------------------------------------------------------------- properties


paths_strategy = st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=4, unique=True)


@given(paths_strategy, st.lists(st.integers(min_value=0, max_value=9), max_size=4, unique=True))
def test_remove_matches_a_model(names: list[str], indexes: list[int]) -> None:
    item = {name: {"N": str(i)} for i, name in enumerate("abcdef")}
    item["l"] = {"L": [{"N": str(i)} for i in range(6)]}
    clauses = names + [f"l[{i}]" for i in indexes]
    new, written = run("REMOVE " + ", ".join(clauses), item)
    expected = {k: v for k, v in item.items() if k not in names}
    expected["l"] = {"L": [{"N": str(i)} for i in range(6) if i not in indexes]}
    assert new == expected
    assert written == names + (["l"] if indexes else [])


@given(st.lists(st.integers(min_value=-(10**6), max_value=10**6), min_size=1, max_size=5))
def test_add_sums_numbers(numbers: list[int]) -> None:
    item: dict = {}
    for number in numbers:
        item = updated("ADD n :v", item, None, {":v": {"N": str(number)}})
    assert item == {"n": {"N": str(sum(numbers))}}


def test_written_and_mentioned_paths() -> None:
    update = parse_update(
        "SET a.b = c + :n REMOVE l[2] ADD n :n DELETE s :s",
        ExpressionContext(None, {":n": {"N": "1"}, ":s": {"SS": ["x"]}}),
    )
    assert update.paths == [("a", "b"), ("l", 2), ("n",), ("s",)]
    assert list(paths_in(update)) == [("a", "b"), ("c",), ("l", 2), ("n",), ("s",)]
