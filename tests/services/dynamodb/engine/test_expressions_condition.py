"""Condition and filter expressions: grammar, precedence, functions, AWS's errors, evaluation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.expressions import ExpressionContext, evaluate, parse_condition


def error_of(fn, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    assert info.value.code == "ValidationException"
    assert info.value.status == 400
    return info.value.message


def filter_error(text: str, names: dict | None = None, values: dict | None = None) -> str:
    return error_of(lambda: parse_condition(text, ExpressionContext(names, values), "FilterExpression"))


def check(text: str, item: dict, names: dict | None = None, values: dict | None = None) -> bool:
    return evaluate(parse_condition(text, ExpressionContext(names, values)), item)


# ---------------------------------------------------------------- syntax


@pytest.mark.parametrize(
    ("text", "token", "near"),
    [
        ("things are not gonna be ok", "are", "things are not"),
        ("a > 4", "4", "> 4"),
        ("attribute_exists(Pictures-RearView)", "-", "Pictures-RearView"),
        ("attribute_exists(Pictures..RearView)", ".", "..RearView"),
        ("attribute_exists(asdf[a])", "a", "[a]"),
        ("a in b", "b", "in b"),
        ("a in (b,c,)", ")", ",)"),
        ("a > between", "between", "> between"),
        ("#$.b > a", "#", "#$"),
        ("a > :things.stuff", ".", ":things.stuff"),
        ("b[:a] > a", ":a", "[:a]"),
        ("(a)between(b.c[4.5].#d)and(:a)", ".", "4.5"),
        ("size(a).b > a", ".", ").b"),
        ("(size(a))[0] > a", "[", ")[0"),
        ("a", "<EOF>", "a"),
        ("a = ", "<EOF>", "="),
        ("contains (themes, :theme", "<EOF>", ":theme"),
        ("a = = b", "=", "= = b"),
        ("!!", "!", "!!"),
        ("a = b c", "c", "b c"),
        ("NOT", "<EOF>", "NOT"),
    ],
)
def test_syntax_errors(text: str, token: str, near: str) -> None:
    assert filter_error(text) == f'Invalid FilterExpression: Syntax error; token: "{token}", near: "{near}"'


def test_kind_selects_the_prefix() -> None:
    assert error_of(lambda: parse_condition("a >", ExpressionContext())).startswith(
        "Invalid ConditionExpression: "
    )
    assert filter_error("a >").startswith("Invalid FilterExpression: ")


@pytest.mark.parametrize("text", ["", "   "])
def test_empty(text: str) -> None:
    assert filter_error(text) == "Invalid FilterExpression: The expression can not be empty;"


def test_size_limit() -> None:
    at_limit = "attribute_exists(" + "a" * (4096 - 18) + ")"
    assert len(at_limit) == 4096
    parse_condition(at_limit, ExpressionContext())
    over = "attribute_exists(" + "a" * (4097 - 18) + ")"
    assert filter_error(over) == (
        "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"
    )


# ---------------------------------------------------------------- static errors


@pytest.mark.parametrize(
    "text",
    [
        "((attribute_not_exists(pk)))",
        "a=a and a > ((views))",
        "a > whatever((:things), ((a)))",
        "a=a AND ((a=a AND a=a)) AND a=a",
        "a=a OR ((a=a OR (a=a OR a=a)))",
    ],
)
def test_redundant_parentheses(text: str) -> None:
    assert filter_error(text) == "Invalid FilterExpression: The expression has redundant parentheses;"


@pytest.mark.parametrize(
    ("text", "function"),
    [("a=a and whatever((:things)) > a", "whatever"), ("attRIbute_exIsts((views), #a)", "attRIbute_exIsts")],
)
def test_invalid_function_names(text: str, function: str) -> None:
    assert filter_error(text) == f"Invalid FilterExpression: Invalid function name; function: {function}"


@pytest.mark.parametrize(
    ("text", "function"),
    [
        ("a=a and attribute_exists((views), (#a)) > b", "attribute_exists"),
        ("attribute_not_exists(things) > b", "attribute_not_exists"),
        ("attribute_type(things, :a) > b", "attribute_type"),
        ("begins_with(things, a) > b", "begins_with"),
        ("contains(:things, c) > b", "contains"),
        ("size(contains(a, b)) > a", "contains"),
        ("size(things)", "size"),
        ("a between b and attribute_exists(things)", "attribute_exists"),
        ("a in (b, attribute_exists(things))", "attribute_exists"),
    ],
)
def test_functions_used_the_wrong_way(text: str, function: str) -> None:
    assert filter_error(text) == (
        f"Invalid FilterExpression: The function is not allowed to be used this way in an expression; function: {function}"
    )


@pytest.mark.parametrize("function", ["if_not_exists", "list_append"])
def test_update_functions_in_conditions(function: str) -> None:
    assert error_of(lambda: parse_condition(f"a = {function}(a, b)", ExpressionContext())) == (
        f"Invalid ConditionExpression: The function is not allowed in a condition expression; function: {function}"
    )


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("attribute_exists(views, #a)", "views"),
        (":a < abOrT", "abOrT"),
        ("status = :v", "status"),
        ("a.data = :v", "data"),
    ],
)
def test_reserved_words(text: str, word: str) -> None:
    assert (
        filter_error(text)
        == f"Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: {word}"
    )


def test_reserved_words_are_fine_through_names() -> None:
    ctx = ExpressionContext({"#s": "status"}, {":v": {"S": "x"}})
    assert evaluate(parse_condition("#s = :v", ctx), {"status": {"S": "x"}})


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [
        ("attribute_exists(#Pictures.RearView, :a) and a=a", "#Pictures"),
        ("begins_with(Pictures.#RearView)", "#RearView"),
        ("(#P between :lo and :hi) and (#PC in (:cat1, :cat2))", "#P"),
        ("#4g > a", "#4g"),
        ("(a)between(b.c[45].#d)and(:a)", "#d"),
    ],
)
def test_undefined_names(text: str, placeholder: str) -> None:
    assert filter_error(text) == (
        "Invalid FilterExpression: An expression attribute name used in the document path is not defined; "
        f"attribute name: {placeholder}"
    )


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [("begins_with(:hello, #a, #b)", ":hello"), (":a < :b", ":a"), (":_ > a", ":_")],
)
def test_undefined_values(text: str, placeholder: str) -> None:
    assert filter_error(text) == (
        "Invalid FilterExpression: An expression attribute value used in expression is not defined; "
        f"attribute value: {placeholder}"
    )


@pytest.mark.parametrize(
    ("text", "function", "count"),
    [
        ("attribute_exists(things, a) and a=a", "attribute_exists", 2),
        ("attribute_not_exists(things, b)", "attribute_not_exists", 2),
        ("attribute_type(things)", "attribute_type", 1),
        ("begins_with(things)", "begins_with", 1),
        ("begins_with(things, size(a), b)", "begins_with", 3),
        ("contains(things)", "contains", 1),
        ("size(things, a) > b", "size", 2),
    ],
)
def test_operand_counts(text: str, function: str, count: int) -> None:
    assert filter_error(text) == (
        "Invalid FilterExpression: Incorrect number of operands for operator or function; "
        f"operator or function: {function}, number of operands: {count}"
    )


@pytest.mark.parametrize(
    ("text", "value", "function", "type_name"),
    [
        ("attribute_type(a, size(a)) and a=a and a=:a", {"N": "1"}, "attribute_type", "N"),
        ("attribute_type(a, :a)", {"BOOL": True}, "attribute_type", "BOOL"),
        ("attribute_type(a, :a)", {"SS": ["1"]}, "attribute_type", "SS"),
        ("begins_with(a, size(a)) and a=:a", {"N": "1"}, "begins_with", "N"),
        ("begins_with(a, :a)", {"N": "1"}, "begins_with", "N"),
        ("begins_with(:a, a)", {"M": {}}, "begins_with", "M"),
        ("begins_with(a, :a)", {"NS": ["1"]}, "begins_with", "NS"),
        ("size(size(a)) > :a", {"N": "1"}, "size", "N"),
        ("attribute_not_exists(size(:a))", {"N": "1"}, "size", "N"),
        ("size(:a) > a", {"BOOL": True}, "size", "BOOL"),
        ("size(:a) > a", {"NULL": True}, "size", "NULL"),
        ("n > :a", {"BOOL": True}, ">", "BOOL"),
        ("n <= :a", {"L": []}, "<=", "L"),
        (":a < n", {"M": {}}, "<", "M"),
        ("size(s) > :a", {"SS": ["x"]}, ">", "SS"),
        ("NOT (n >= :a)", {"NULL": True}, ">=", "NULL"),
        ("n BETWEEN :a AND :a", {"BOOL": True}, "BETWEEN", "BOOL"),
    ],
)
def test_operand_types(text: str, value: dict, function: str, type_name: str) -> None:
    assert filter_error(text, None, {":a": value}) == (
        "Invalid FilterExpression: Incorrect operand type for operator or function; "
        f"operator or function: {function}, operand type: {type_name}"
    )


def test_attribute_type_with_a_path_for_the_type() -> None:
    assert filter_error("attribute_type(a, b)") == (
        "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: "
        "attribute_type, operand type: "
        "{S,SS,N,NS,B,BS,BOOL,NULL,L,M,HD,DOUBLE,FLOAT,HDS,FS,DOUBLESET,DICT,DECIMAL,INT,DECIMALSET,INTSET}"
    )


def test_equality_accepts_every_type() -> None:
    for op in ("=", "<>"):
        parse_condition(f"n {op} :v", ExpressionContext(None, {":v": {"BOOL": True}}))


def test_invalid_attribute_type_name() -> None:
    assert filter_error("attribute_type(a, :a)", None, {":a": {"S": "X"}}) == (
        "Invalid FilterExpression: Invalid attribute type name found; type: X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
    )


@pytest.mark.parametrize(
    ("text", "function"),
    [
        ("attribute_exists(:a) and a=a", "attribute_exists"),
        ("attribute_not_exists(size(:a))", "attribute_not_exists"),
    ],
)
def test_functions_requiring_paths(text: str, function: str) -> None:
    assert filter_error(text, None, {":a": {"S": "1"}}) == (
        f"Invalid FilterExpression: Operator or function requires a document path; operator or function: {function}"
    )


@pytest.mark.parametrize(
    ("text", "operator", "path"),
    [
        ("a = a AND #a = b AND :views > a", "=", "[a]"),
        ("#a <> a", "<>", "[a]"),
        ("a > #a", ">", "[a]"),
        ("((a=a) OR (a=a))", "=", "[a]"),
        ("contains(ab.bc[1].a, ab.bc[1].#a)", "contains", "[ab, bc, [1], a]"),
        ("attribute_type(ab.bc[1].#a, ab.bc[1].a)", "attribute_type", "[ab, bc, [1], a]"),
        ("begins_with(ab.bc[1].a, ab.bc[1].#a)", "begins_with", "[ab, bc, [1], a]"),
        ("a BETWEEN b AND a", "BETWEEN", "[a]"),
        ("a IN (b, a)", "IN", "[a]"),
    ],
)
def test_operands_must_be_distinct(text: str, operator: str, path: str) -> None:
    assert filter_error(text, {"#a": "a"}) == (
        "Invalid FilterExpression: The first operand must be distinct from the remaining operands for this "
        f"operator or function; operator: {operator}, first operand: {path}"
    )


def test_same_values_are_not_refused() -> None:
    parse_condition(":a > :a", ExpressionContext(None, {":a": {"N": "1"}}))


def test_between_bounds() -> None:
    values = {":lo": {"N": "5"}, ":hi": {"N": "4"}, ":s": {"S": "a"}}
    assert filter_error("n BETWEEN :lo AND :hi", None, values) == (
        "Invalid FilterExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower "
        "bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:4}"
    )
    values = {":lo": {"N": "1"}, ":hi": {"S": "a"}}
    assert filter_error("n BETWEEN :lo AND :hi", None, values) == (
        "Invalid FilterExpression: The BETWEEN operator requires same data type for lower and upper bounds; "
        "lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}"
    )


def test_in_operand_limit() -> None:
    values = {f":v{i}": {"N": str(i)} for i in range(101)}
    hundred = ", ".join(list(values)[:100])
    parse_condition(f"a IN ({hundred})", ExpressionContext(None, dict(list(values.items())[:100])))
    assert filter_error(f"a IN ({', '.join(values)})", None, values) == (
        "Invalid FilterExpression: The IN operator is provided with too many operands; number of operands: 101"
    )


def test_path_limits() -> None:
    parse_condition("attribute_exists(a" + ".b" * 31 + ")", ExpressionContext())
    assert filter_error("attribute_exists(a" + ".b" * 32 + ")") == (
        "Invalid FilterExpression: The document path has too many nesting levels; nesting levels: 33"
    )
    assert filter_error("attribute_exists(a[99999999999])") == (
        "Invalid FilterExpression: List index is not within the allowable range; index: [99999999999]"
    )


def test_error_precedence() -> None:
    # Function misuse outranks a reserved word, a reserved word outranks an undefined placeholder.
    assert "not allowed to be used this way" in filter_error("attribute_exists(views) > b")
    assert "reserved keyword: status" in filter_error("#x = :y AND status = :z")
    # Redundant parentheses outrank everything but syntax.
    assert "redundant parentheses" in filter_error("((whatever(status)))")


# ---------------------------------------------------------------- evaluation


ITEM = {
    "s": {"S": "hello"},
    "u": {"S": "é𝄞"},
    "n": {"N": "5"},
    "b": {"B": b"\x01\x02\x03"},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"k": {"S": "v"}}}]},
    "m": {"M": {"k": {"S": "v"}, "deep": {"L": [{"N": "7"}]}}},
}


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("s = :v", {":v": {"S": "hello"}}, True),
        ("n = :v", {":v": {"N": "5.0"}}, True),
        ("n = :v", {":v": {"S": "5"}}, False),
        ("n <> :v", {":v": {"S": "5"}}, True),
        ("absent = :v", {":v": {"S": "x"}}, False),
        ("absent <> :v", {":v": {"S": "x"}}, True),
        ("n < :v", {":v": {"N": "10"}}, True),
        ("n <= :v", {":v": {"N": "5"}}, True),
        ("n > :v", {":v": {"N": "-1"}}, True),
        ("n >= :v", {":v": {"N": "6"}}, False),
        ("s > :v", {":v": {"N": "1"}}, False),
        ("absent < :v", {":v": {"N": "1"}}, False),
        ("t > n", None, False),
        ("s < :v", {":v": {"S": "hell"}}, False),
        ("b > :v", {":v": {"B": b"\x01\x02"}}, True),
        ("ss = :v", {":v": {"SS": ["b", "a"]}}, True),
        ("ns = :v", {":v": {"NS": ["2.50", "1"]}}, True),
        ("m.k = :v", {":v": {"S": "v"}}, True),
        ("m.deep[0] = :v", {":v": {"N": "7"}}, True),
        ("l[2].k = :v", {":v": {"S": "v"}}, True),
        ("l[9] = :v", {":v": {"S": "x"}}, False),
        ("m[0] = :v", {":v": {"S": "v"}}, False),
        ("n BETWEEN :lo AND :hi", {":lo": {"N": "5"}, ":hi": {"N": "6"}}, True),
        ("n BETWEEN :lo AND :hi", {":lo": {"N": "6"}, ":hi": {"N": "7"}}, False),
        ("s BETWEEN :lo AND :hi", {":lo": {"N": "1"}, ":hi": {"N": "7"}}, False),
        ("n IN (:a, :b)", {":a": {"N": "4"}, ":b": {"N": "5"}}, True),
        ("n IN (:a, :b)", {":a": {"S": "5"}, ":b": {"N": "4"}}, False),
        ("absent IN (:a)", {":a": {"N": "4"}}, False),
        ("attribute_exists(m.k)", None, True),
        ("attribute_exists(m.nope)", None, False),
        ("attribute_not_exists(nope)", None, True),
        ("attribute_not_exists(l[1])", None, False),
        ("attribute_type(ns, :t)", {":t": {"S": "NS"}}, True),
        ("attribute_type(z, :t)", {":t": {"S": "NULL"}}, True),
        ("attribute_type(n, :t)", {":t": {"S": "S"}}, False),
        ("attribute_type(nope, :t)", {":t": {"S": "S"}}, False),
        ("begins_with(s, :p)", {":p": {"S": "he"}}, True),
        ("begins_with(s, :p)", {":p": {"S": "lo"}}, False),
        ("begins_with(b, :p)", {":p": {"B": b"\x01"}}, True),
        ("begins_with(b, :p)", {":p": {"S": "a"}}, False),
        ("begins_with(nope, :p)", {":p": {"S": "a"}}, False),
        ("contains(s, :p)", {":p": {"S": "ell"}}, True),
        ("contains(s, :p)", {":p": {"S": "xyz"}}, False),
        ("contains(ss, :p)", {":p": {"S": "a"}}, True),
        ("contains(ss, :p)", {":p": {"N": "1"}}, False),
        ("contains(ns, :p)", {":p": {"N": "2.50"}}, True),
        ("contains(bs, :p)", {":p": {"B": b"\x01"}}, True),
        ("contains(b, :p)", {":p": {"B": b"\x02\x03"}}, True),
        ("contains(l, :p)", {":p": {"N": "1.0"}}, True),
        ("contains(l, :p)", {":p": {"M": {"k": {"S": "v"}}}}, True),
        ("contains(l, :p)", {":p": {"S": "y"}}, False),
        ("contains(n, :p)", {":p": {"N": "5"}}, False),
        ("contains(nope, :p)", {":p": {"S": "a"}}, False),
        ("NOT contains(nope, :p)", {":p": {"S": "a"}}, True),
        ("size(s) = :v", {":v": {"N": "5"}}, True),
        ("size(u) = :v", {":v": {"N": "3"}}, True),
        ("size(b) = :v", {":v": {"N": "3"}}, True),
        ("size(ss) = :v", {":v": {"N": "2"}}, True),
        ("size(l) = :v", {":v": {"N": "3"}}, True),
        ("size(m) = :v", {":v": {"N": "2"}}, True),
        ("size(n) > :v", {":v": {"N": "0"}}, False),
        ("size(n) <> :v", {":v": {"N": "0"}}, True),
        ("size(nope) < :v", {":v": {"N": "100"}}, False),
        ("size(:s) = :v", {":s": {"S": "abc"}, ":v": {"N": "3"}}, True),
        ("size(l) > size(ss)", None, True),
    ],
)
def test_evaluation(text: str, values: dict | None, expected: bool) -> None:
    assert check(text, ITEM, None, values) is expected


def test_missing_item_is_empty() -> None:
    assert check("attribute_not_exists(pk)", {})
    assert not check("attribute_exists(pk)", {})


def test_precedence_not_and_or() -> None:
    values = {":t": {"BOOL": True}}
    item = {"a": {"BOOL": True}}
    # NOT binds tighter than AND, AND tighter than OR.
    assert check("a = :t OR a <> :t AND a <> :t", item, None, values)
    assert not check("(a = :t OR a <> :t) AND a <> :t", item, None, values)
    assert not check("NOT a = :t AND a = :t", item, None, values)
    assert check("NOT (a <> :t AND a = :t)", item, None, values)
    assert check("NOT NOT a = :t", item, None, values)


def test_keywords_are_case_insensitive() -> None:
    assert check("a = :t and not (b = :t) or c = :t", {"a": {"N": "1"}}, None, {":t": {"N": "1"}})
    assert check("n between :a AnD :b", {"n": {"N": "2"}}, None, {":a": {"N": "1"}, ":b": {"N": "3"}})


def test_evaluation_does_not_mutate() -> None:
    item = {"l": {"L": [{"N": "1"}]}}
    snapshot = repr(item)
    check("contains(l, :v) AND size(l) = :n", item, None, {":v": {"N": "1"}, ":n": {"N": "1"}})
    assert repr(item) == snapshot


# ---------------------------------------------------------------- property: boolean structure


def formulas(depth: int = 3):
    atom = st.integers(min_value=0, max_value=3).map(lambda i: ("atom", i))
    if depth == 0:
        return atom
    sub = formulas(depth - 1)
    return st.one_of(
        atom,
        st.tuples(st.just("not"), sub),
        st.tuples(st.sampled_from(["and", "or"]), sub, sub),
    )


def render(formula) -> tuple[str, str]:
    """The formula as a DynamoDB expression and as Python, both fully parenthesized."""
    kind = formula[0]
    if kind == "atom":
        return f"attribute_exists(a{formula[1]})", f"a{formula[1]}"
    if kind == "not":
        expr, py = render(formula[1])
        return f"NOT ({expr})", f"(not ({py}))"
    left, right = render(formula[1]), render(formula[2])
    return f"({left[0]}) {kind.upper()} ({right[0]})", f"({left[1]}) {kind} ({right[1]})"


def flat(formula) -> tuple[str, str]:
    """The formula without parentheses: both languages read it with NOT > AND > OR."""
    kind = formula[0]
    if kind == "atom":
        return f"attribute_exists(a{formula[1]})", f"a{formula[1]}"
    if kind == "not":
        expr, py = flat(formula[1])
        return f"NOT {expr}", f"not {py}"
    left, right = flat(formula[1]), flat(formula[2])
    return f"{left[0]} {kind.upper()} {right[0]}", f"{left[1]} {kind} {right[1]}"


def strip_redundant(text: str) -> str:
    while "((" in text:
        text = text.replace("((", "( (")
    return text


@given(formulas(), st.lists(st.booleans(), min_size=4, max_size=4))
def test_boolean_structure_matches_python(formula, present: list[bool]) -> None:
    item = {f"a{i}": {"BOOL": True} for i, here in enumerate(present) if here}
    env = {f"a{i}": here for i, here in enumerate(present)}
    for expression, python in (render(formula), flat(formula)):
        try:
            parsed = parse_condition(expression, ExpressionContext())
        except ServiceError as error:
            assert "redundant parentheses" in error.message
            continue
        assert evaluate(parsed, item) is eval(python, {}, env)
