"""PartiQL engine: parsing, literals, parameters, WHERE, keys, updates, projections and AWS's error texts."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.partiql import (
    Delete,
    Exists,
    Insert,
    KeyCondition,
    Path,
    RemoveAction,
    Select,
    SetAction,
    Update,
    apply_update,
    check_order_by,
    errors,
    evaluate_where,
    exists_key,
    insert_key,
    key_condition,
    key_equalities,
    parse_statement,
    project,
    require_key,
    residual_condition,
    returning_values,
)

WELL = "Statement wasn't well formed, can't be processed: "
OVER = "Number overflow. Attempting to store a number with magnitude larger than supported range under root"
MULTIPLE = (
    "Unsupported operation: Inserting multiple items in a single statement is not supported, "
    'use "INSERT INTO tableName VALUE item" instead'
)
S, N = (lambda v: {"S": v}), (lambda v: {"N": v})


def refused(statement: str, parameters: list[dict] | None = None) -> str:
    with pytest.raises(ServiceError) as caught:
        parse_statement(statement, parameters)
    assert caught.value.code == "ValidationException"
    assert caught.value.status == 400
    return caught.value.message


def where(condition: str, parameters: list[dict] | None = None):
    statement = parse_statement(f'SELECT * FROM "Tbl" WHERE {condition}', parameters)
    assert isinstance(statement, Select)
    return statement.where


def matches(condition: str, item: dict, parameters: list[dict] | None = None) -> bool:
    return evaluate_where(where(condition, parameters), item)


def updated(sets: str, item: dict, parameters: list[dict] | None = None) -> dict:
    statement = parse_statement(f"UPDATE \"Tbl\" {sets} WHERE pk = 'k'", parameters)
    assert isinstance(statement, Update)
    return apply_update(statement, item)[0]


def update_error(sets: str, item: dict) -> str:
    statement = parse_statement(f"UPDATE \"Tbl\" {sets} WHERE pk = 'k'")
    with pytest.raises(ServiceError) as caught:
        apply_update(statement, item)  # type: ignore[arg-type]
    return caught.value.message


# ---------------------------------------------------------------- statements


def test_select_with_index_projection_where_and_order() -> None:
    statement = parse_statement(
        'SELECT a, b.c, d[0], "e f" FROM "Table"."Index" WHERE pk = ? AND sk > 5 ORDER BY sk DESC, pk',
        [S("x")],
    )
    assert isinstance(statement, Select)
    assert (statement.table, statement.index) == ("Table", "Index")
    assert [p.steps for p in statement.projection] == [("a",), ("b", "c"), ("d", 0), ("e f",)]
    assert statement.order_by == [("sk", True), ("pk", False)]
    assert key_equalities(statement.where, {"pk"}) == {"pk": S("x")}


def test_select_star_bare_table_no_where_semicolon_comments_lower_case() -> None:
    statement = parse_statement("select * -- all\n from Music /* no filter */ ;")
    assert statement == Select("Music", None, None, None)


def test_insert_builds_the_item_from_every_literal_kind() -> None:
    statement = parse_statement(
        "INSERT INTO \"T1\" VALUE {'pk': 'it''s', 'n': -1.50, 'e': 1e3, 'b': TRUE, 'f': false, "
        "'z': null, 'l': [1, 'x', <<'a'>>], 'm': {'in': {}}, 'ns': <<3, 1.0>>, 'ss': <<'b', 'a'>>, "
        "'p': ?}",
        [{"B": b"\x01"}],
    )
    assert statement == Insert(
        "T1",
        {
            "pk": S("it's"),
            "n": N("-1.5"),
            "e": N("1000"),
            "b": {"BOOL": True},
            "f": {"BOOL": False},
            "z": {"NULL": True},
            "l": {"L": [N("1"), S("x"), {"SS": ["a"]}]},
            "m": {"M": {"in": {"M": {}}}},
            "ns": {"NS": ["3", "1"]},
            "ss": {"SS": ["b", "a"]},
            "p": {"B": b"\x01"},
        },
    )


def test_update_actions_where_and_returning() -> None:
    statement = parse_statement(
        'UPDATE "T1" SET a = 1, b = b + ? SET c = list_append(c, [1]) REMOVE d, e[2] '
        "WHERE pk = 'x' RETURNING MODIFIED OLD *",
        [N("2")],
    )
    assert isinstance(statement, Update)
    assert [type(a) for a in statement.actions] == [
        SetAction,
        SetAction,
        SetAction,
        RemoveAction,
        RemoveAction,
    ]
    assert [a.path.steps for a in statement.actions] == [("a",), ("b",), ("c",), ("d",), ("e", 2)]
    assert statement.returning == "MODIFIED OLD"


def test_from_first_update_form() -> None:
    statement = parse_statement("FROM \"T1\" WHERE pk = 'x' SET a = 1 REMOVE b")
    assert isinstance(statement, Update)
    assert [a.path.steps for a in statement.actions] == [("a",), ("b",)]


def test_delete_and_exists() -> None:
    delete = parse_statement("DELETE FROM T1 WHERE pk = 'x' RETURNING ALL OLD *")
    assert isinstance(delete, Delete) and delete.returning == "ALL OLD"
    exists = parse_statement('EXISTS(SELECT * FROM "Music" WHERE "Artist" = \'Acme\' AND a = 1)')
    assert isinstance(exists, Exists) and exists.select.table == "Music"


def test_parameters_bind_in_order_and_a_question_mark_in_a_string_is_text() -> None:
    statement = parse_statement(
        "UPDATE T1 SET a = ?, q = '?' WHERE pk = ? AND n = ?", [S("a"), S("k"), N("1")]
    )
    assert statement.actions[0].value.value == S("a")
    assert statement.actions[1].value.value == S("?")
    assert key_equalities(statement.where, {"pk", "n"}) == {"pk": S("k"), "n": N("1")}


# ---------------------------------------------------------------- WHERE


ITEM = {
    "pk": S("k"),
    "n": N("5"),
    "s": S("hello"),
    "b": {"B": b"\x01\x02"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
    "l": {"L": [S("x"), N("3")]},
    "m": {"M": {"sub": S("deep"), "z": {"NULL": True}}},
    "t": {"BOOL": True},
    "nul": {"NULL": True},
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("n = 5", True),
        ("n = 5.0", True),
        ("5 = n", True),
        ("n <> 5", False),
        ("n != 4", True),
        ("absent <> 4", True),
        ("absent = 4", False),
        ("n < 6 AND n <= 5 AND n > 4 AND n >= 5", True),
        ("s > 'hell' AND s < 'help'", True),
        ("n < 'x'", False),
        ("absent < 1", False),
        ("n BETWEEN 1 AND 5", True),
        ("n BETWEEN 6 AND 9", False),
        ("n NOT BETWEEN 6 AND 9", True),
        ("n IN [1, 5]", True),
        ("n IN (1, 2)", False),
        ("n NOT IN [1, 2]", True),
        ("absent IN [1]", False),
        ("n = 1 OR s = 'hello'", True),
        ("NOT n = 5", False),
        ("NOT (n = 1 AND s = 'hello')", True),
        ("absent IS MISSING AND n IS NOT MISSING", True),
        ("nul IS NULL AND n IS NOT NULL AND absent IS NOT NULL", True),
        ("s IS STRING AND n IS NUMERIC AND t IS BOOLEAN AND b IS BLOB", True),
        ("m IS STRUCT AND m IS TUPLE AND l IS LIST AND t IS BOOL", True),
        ("ss IS LIST", False),
        ("m.sub = 'deep' AND m.z IS NULL AND l[1] = 3 AND l[0] = 'x'", True),
        ("m['sub'] = 'deep'", True),
        ("l[5] IS MISSING AND m.nothere IS MISSING AND s.x IS MISSING AND s[0] IS MISSING", True),
        ("attribute_exists(n) AND attribute_not_exists(absent)", True),
        ("attribute_exists(absent)", False),
        ("attribute_type(ss, 'SS') AND attribute_type(m, 'M')", True),
        ("attribute_type(ss, 'S')", False),
        ("begins_with(s, 'he') AND NOT begins_with(s, 'lo')", True),
        ("BEGINS_WITH(\"s\", 'he')", True),
        ("begins_with(n, '5')", False),
        ("contains(s, 'ell') AND contains(ss, 'a') AND contains(ns, 2) AND contains(l, 3)", True),
        ("contains(ss, 'z') OR contains(ns, '1') OR contains(l, 'y') OR contains(n, 5)", False),
        ("size(s) = 5 AND size(ss) = 2 AND size(l) = 2 AND size(m) = 2 AND size(b) = 2", True),
        ("size(n) > 0 OR size(absent) >= 0", False),
        ("ss = <<'b', 'a'>> AND ns = <<2, 1>> AND l = ['x', 3]", True),
        ("m = {'sub': 'deep', 'z': null}", True),
        ("t = true AND nul = null", True),
    ],
)
def test_where_semantics(condition: str, expected: bool) -> None:
    assert matches(condition, ITEM) is expected


def test_where_with_parameters_and_no_where() -> None:
    assert matches("s = ? AND n BETWEEN ? AND ?", ITEM, [S("hello"), N("1"), N("9")])
    assert matches("b = ?", ITEM, [{"B": b"\x01\x02"}])
    assert evaluate_where(None, ITEM)


def test_size_of_a_string_counts_utf16_code_units() -> None:
    assert matches("size(s) = 4", {"s": S("é!\U0001f600")})


# ---------------------------------------------------------------- keys


def test_key_equalities_take_top_level_and_terms_only() -> None:
    condition = where("'a' = pk AND sk = 2 AND x = 1 OR pk = 'b'")
    assert key_equalities(condition, {"pk", "sk"}) == {}
    condition = where("pk = 'a' AND (sk = 1 OR sk = 2) AND m.pk = 3")
    assert key_equalities(condition, {"pk", "sk"}) == {"pk": S("a")}


def test_require_key_returns_the_key_in_schema_order() -> None:
    condition = where("sk = 2 AND pk = 'a' AND x > 1")
    assert require_key(condition, ["pk", "sk"]) == {"pk": S("a"), "sk": N("2")}
    assert residual_condition(condition, ["pk", "sk"]) == where("x > 1")
    assert residual_condition(where("pk = 'a'"), ["pk"]) is None


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("pk = 'a'", errors.INCOMPLETE_KEY),
        ("pk = 'a' OR sk = 1", errors.INCOMPLETE_KEY),
        ("pk > 'a' AND sk = 1", errors.INCOMPLETE_KEY),
        ("pk = 'a' AND pk = 'b' AND sk = 1", errors.MULTIPLE_KEY_CONDITIONS.format("pk")),
        ("pk = 'a' AND sk = 1 AND sk > 0", errors.MULTIPLE_KEY_CONDITIONS.format("sk")),
        ("pk = true AND sk = 1", errors.KEY_TYPE.format("pk", "BOOL")),
    ],
)
def test_require_key_errors(condition: str, message: str) -> None:
    with pytest.raises(ServiceError) as caught:
        require_key(where(condition), ["pk", "sk"])
    assert caught.value.message == message


def test_require_key_messages_for_missing_where_and_reads() -> None:
    with pytest.raises(ServiceError) as caught:
        require_key(None, ["pk"])
    assert caught.value.message == "Where clause does not contain a mandatory equality on all key attributes"
    with pytest.raises(ServiceError) as caught:
        require_key(where("x = 1"), ["pk"], errors.TRANSACTION_SELECT_KEY)
    assert caught.value.message == (
        "Select statements within ExecuteTransaction must specify the primary key in the where clause."
    )


def test_exists_needs_the_full_key_and_another_condition() -> None:
    good = parse_statement("EXISTS(SELECT * FROM T1 WHERE pk = 'a' AND attribute_exists(x))")
    assert exists_key(good, ["pk"]) == {"pk": S("a")}
    for statement in ("EXISTS(SELECT * FROM T1 WHERE pk = 'a')", "EXISTS(SELECT * FROM T1 WHERE x = 1)"):
        with pytest.raises(ServiceError) as caught:
            exists_key(parse_statement(statement), ["pk"])
        assert caught.value.message == "EXISTS() must contain a single item read with additional condition"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("pk = 'a'", KeyCondition([S("a")])),
        ("pk IN ['a', 'b']", KeyCondition([S("a"), S("b")])),
        ("pk = 'a' OR pk = 'b' OR pk IN ['a', 'c']", KeyCondition([S("a"), S("b"), S("c")])),
        ("x = 1 AND 'a' = pk AND 3 < sk", KeyCondition([S("a")], ">", [N("3")])),
        ("pk = 'a' AND sk BETWEEN 1 AND 2", KeyCondition([S("a")], "BETWEEN", [N("1"), N("2")])),
        ("pk = 'a' AND begins_with(sk, 'x')", KeyCondition([S("a")], "BEGINS_WITH", [S("x")])),
        ("pk = 'a' AND sk IN [1, 2]", KeyCondition([S("a")])),
        ("pk = 'a' AND sk = true", KeyCondition([S("a")])),
        ("pk = 'a' OR x = 1", None),
        ("pk > 'a'", None),
        ("pk = true", None),
        ("x = 1", None),
    ],
)
def test_key_condition(condition: str, expected: KeyCondition | None) -> None:
    assert key_condition(where(condition), "pk", "sk") == expected


def test_no_where_is_a_scan() -> None:
    assert key_condition(None, "pk") is None


def test_order_by_checks() -> None:
    check_order_by(parse_statement("SELECT * FROM T1 WHERE pk = 'a' ORDER BY sk"), "pk", "sk")
    check_order_by(parse_statement("SELECT * FROM T1 WHERE pk IN ['a', 'b'] ORDER BY pk, sk"), "pk", "sk")
    check_order_by(parse_statement("SELECT * FROM T1"), "pk", "sk")
    cases = {
        "SELECT * FROM T1 WHERE pk = 'a' ORDER BY x": (
            "Variable reference x in ORDER BY clause must be part of the primary key"
        ),
        "SELECT * FROM T1 WHERE sk = 1 ORDER BY sk": (
            "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."
        ),
        "SELECT * FROM T1 WHERE pk IN ['a', 'b'] ORDER BY sk": (
            "Must have hash key in ORDER BY clause when more than one hash key condition specified in "
            "WHERE clause."
        ),
    }
    for statement, message in cases.items():
        with pytest.raises(ServiceError) as caught:
            check_order_by(parse_statement(statement), "pk", "sk")
        assert caught.value.message == message


def test_insert_key() -> None:
    item = {"pk": S("a"), "sk": N("1"), "x": S("y")}
    assert insert_key(item, {"pk": "S", "sk": "N"}) == {"pk": S("a"), "sk": N("1")}
    with pytest.raises(ServiceError) as caught:
        insert_key(item, {"pk": "S", "other": "S"})
    assert caught.value.message == "Key attribute should be present in the item: Key other"
    with pytest.raises(ServiceError) as caught:
        insert_key(item, {"pk": "N"})
    assert (
        caught.value.message
        == "Key attribute's data type should match its data type in table's schema: Key pk"
    )


# ---------------------------------------------------------------- updates


def test_set_remove_arithmetic_and_functions() -> None:
    item = {
        "pk": S("k"),
        "n": N("5"),
        "l": {"L": [N("1")]},
        "ss": {"SS": ["a"]},
        "ns": {"NS": ["1", "2"]},
        "m": {"M": {"x": N("1")}},
        "gone": S("x"),
    }
    new = updated(
        "SET n = n + 1.5, d = 10 - n, l = list_append(l, [2]), f = list_append([0], l), "
        "ss = set_add(ss, <<'b', 'a'>>), ns = set_delete(ns, <<1.0>>), m.y = ?, m.x = m.x - 1 "
        "REMOVE gone, nothere, m.nothere",
        item,
        [S("new")],
    )
    assert new == {
        "pk": S("k"),
        "n": N("6.5"),
        "d": N("5"),
        "l": {"L": [N("1"), N("2")]},
        "f": {"L": [N("0"), N("1")]},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["2"]},
        "m": {"M": {"x": N("0"), "y": S("new")}},
    }
    assert item["n"] == N("5") and "gone" in item  # the input is not changed


def test_values_come_from_the_item_as_it_was() -> None:
    assert updated("SET a = b, b = a", {"a": N("1"), "b": N("2")}) == {"a": N("2"), "b": N("1")}


def test_changed_attribute_names() -> None:
    statement = parse_statement("UPDATE T1 SET a.b = 1, c = 2 REMOVE d[0] WHERE pk = 'k'")
    _, changed = apply_update(statement, {"a": {"M": {}}, "d": {"L": []}})
    assert changed == {"a", "c", "d"}


def test_set_functions_on_absent_attributes_and_emptied_sets() -> None:
    item = {"ss": {"SS": ["a"]}}
    assert updated("SET ns = set_add(ns, <<1>>)", item) == {"ss": {"SS": ["a"]}, "ns": {"NS": ["1"]}}
    assert updated("SET xs = set_delete(xs, <<'a'>>)", item) == item
    assert updated("SET ss = set_delete(ss, <<'a', 'b'>>)", item) == {}


def test_list_index_set_and_remove() -> None:
    item = {"tags": {"L": [S("a"), S("b"), S("c")]}}
    assert updated("SET tags[1] = 'x', tags[9] = 'z'", item) == {
        "tags": {"L": [S("a"), S("x"), S("c"), S("z")]}
    }
    assert updated("REMOVE tags[0], tags[2]", item) == {"tags": {"L": [S("b")]}}
    assert updated("REMOVE tags[7]", item) == item


@pytest.mark.parametrize(
    ("sets", "item", "message"),
    [
        ("SET n = n + 1", {"n": S("x")}, "An operand in the update expression has an incorrect data type"),
        (
            "SET n = absent + 1",
            {},
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        ("SET a = b", {}, "The provided expression refers to an attribute that does not exist in the item"),
        (
            "SET l = list_append(l, [1])",
            {"l": S("x")},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET ss = set_add(ss, <<1>>)",
            {"ss": {"SS": ["a"]}},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET s = set_add(s, <<'x'>>)",
            {"s": S("x")},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET ss = set_delete(ss, <<1>>)",
            {"ss": {"SS": ["a"]}},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET newlist[0] = 'x'",
            {},
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET m.x = 1",
            {"m": S("x")},
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET l[0] = 1",
            {"l": {"M": {}}},
            "The document path provided in the update expression is invalid for update",
        ),
        ("REMOVE a.b", {}, "The document path provided in the update expression is invalid for update"),
        (
            "REMOVE a[0]",
            {"a": {"M": {}}},
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET n = n + 9e125",
            {"n": N("9e125")},
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
    ],
)
def test_update_errors(sets: str, item: dict, message: str) -> None:
    assert update_error(sets, item) == message


# ---------------------------------------------------------------- projections and RETURNING


def test_select_projection_names_rows_by_the_last_path_name() -> None:
    statement = parse_statement("SELECT pk, m.sub, l[1], absent FROM T1")
    assert project(statement.projection, ITEM) == {"pk": S("k"), "sub": S("deep"), "_3": N("3")}
    assert project(None, ITEM) is ITEM


def returning(statement: str, old: dict) -> dict | None:
    parsed = parse_statement(statement)
    new = apply_update(parsed, old)[0] if isinstance(parsed, Update) else None
    return returning_values(parsed, old, new)


def test_returning_all_and_modified() -> None:
    old = {"pk": S("k"), "data": S("old"), "keep": S("same")}
    base = "UPDATE T1 SET data = 'new' WHERE pk = 'k' RETURNING "
    assert returning(base + "ALL OLD *", old) == old
    assert returning(base + "ALL NEW *", old) == {"pk": S("k"), "data": S("new"), "keep": S("same")}
    assert returning(base + "MODIFIED OLD *", old) == {"data": S("old")}
    assert returning(base + "MODIFIED NEW *", old) == {"data": S("new")}
    assert returning("UPDATE T1 SET data = 'new' WHERE pk = 'k'", old) is None
    assert returning("UPDATE T1 SET fresh = 1 WHERE pk = 'k' RETURNING MODIFIED OLD *", old) is None
    assert returning("UPDATE T1 REMOVE data WHERE pk = 'k' RETURNING MODIFIED NEW *", old) is None
    assert returning("UPDATE T1 REMOVE data WHERE pk = 'k' RETURNING MODIFIED OLD *", old) == {
        "data": S("old")
    }
    assert returning("DELETE FROM T1 WHERE pk = 'k' RETURNING ALL OLD *", old) == old
    assert (
        returning_values(parse_statement("DELETE FROM T1 WHERE pk = 'k' RETURNING ALL OLD *"), None, None)
        is None
    )


def test_returning_modified_keeps_nesting_and_packs_list_elements() -> None:
    old = {
        "profile": {"M": {"sub": S("old"), "sib": S("keep")}},
        "tags": {"L": [S("a"), S("b"), S("c")]},
    }
    nested = "UPDATE T1 SET profile.sub = 'new' WHERE pk = 'k' RETURNING MODIFIED "
    assert returning(nested + "NEW *", old) == {"profile": {"M": {"sub": S("new")}}}
    assert returning(nested + "OLD *", old) == {"profile": {"M": {"sub": S("old")}}}
    indexes = "UPDATE T1 SET tags[2] = 'y', tags[0] = 'x' WHERE pk = 'k' RETURNING MODIFIED "
    assert returning(indexes + "NEW *", old) == {"tags": {"L": [S("x"), S("y")]}}
    assert returning(indexes + "OLD *", old) == {"tags": {"L": [S("a"), S("c")]}}
    append = "UPDATE T1 SET tags[5] = 'z' WHERE pk = 'k' RETURNING MODIFIED NEW *"
    assert returning(append, old) is None
    removed = "UPDATE T1 REMOVE tags[1] WHERE pk = 'k' RETURNING MODIFIED NEW *"
    assert returning(removed, old) == {"tags": {"L": [S("c")]}}
    both = "UPDATE T1 SET profile.sub = 'n', profile.other = 'o' WHERE pk = 'k' RETURNING MODIFIED NEW *"
    assert returning(both, old) == {"profile": {"M": {"sub": S("n"), "other": S("o")}}}


# ---------------------------------------------------------------- errors AWS gives while parsing


def at(statement: str, token: str, length: int | None = None, start: int = 0) -> str:
    return f"1:{statement.index(token, start) + 1}:{len(token) if length is None else length}"


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        # Tokens left over after a complete statement.
        ("SELECT * FROM T1 WHERE pk = 1 foo", WELL + "Unexpected token after expression"),
        ("SELECT * FROM T1 WHERE pk = 1 e5", WELL + "Unexpected token after expression"),
        ("SELECT * FROM T1 WHERE pk = 1)", WELL + "Unexpected token after expression"),
        ("INSERT INTO T1 VALUE {'pk': 1} foo", WELL + "Unexpected token after expression"),
        ("INSERT INTO T1 t VALUE {'pk': 'x'}", WELL + "Unexpected token after expression"),
        ("UPDATE T1 SET a = 9 WHERE pk = 2 foo", WELL + "Unexpected token after expression"),
        ("DELETE FROM T1 WHERE pk = 3 ORDER BY pk", WELL + "Unexpected token after expression"),
        ("SELECT * FROM T1 ORDER BY pk WHERE pk = 1", WELL + "Unexpected token after expression"),
        ("FROM T1 SET c = 1 WHERE pk = 'x'", WELL + "Unexpected token after expression"),
        # Literals and comments the lexer cannot read.
        ("SELECT * FROM T1 WHERE pk = 1e2147483648", WELL),
        ("SELECT * FROM T1 WHERE pk = 1.5e-2147483647", WELL),
        ("SELECT * FROM T1 WHERE pk = 1 # note", WELL),
        ("SELECT * FROM T1 WHERE pk = 1 /* note", WELL),
        ("SELECT * FROM T1 WHERE pk = 'open", WELL),
        ('SELECT * FROM "T1', WELL),
        # Where a term should start.
        ("SELECT * FROM T1 WHERE", WELL + "Unexpected term"),
        ("SELECT * FROM T1 WHERE;", WELL + "Unexpected term"),
        ("SELECT * FROM T1 WHERE NOT", WELL + "Unexpected term"),
        ("SELECT * FROM T1 WHERE (", WELL + "Unexpected term"),
        ("UPDATE T1 SET a = 1 WHERE", WELL + "Unexpected term"),
        ("SELECT * FROM", WELL + "Unexpected term"),
        ("   ", WELL + "Unexpected term"),
        (
            "SELECT * FROM T1 WHERE pk = 'p1' AND",
            WELL + "Missing right-hand side expression of infix operator",
        ),
        (
            "SELECT * FROM T1 WHERE pk = 'p1' OR",
            WELL + "Missing right-hand side expression of infix operator",
        ),
        ("SELECT * FROM T1 WHERE pk =", WELL + "Missing right-hand side expression of infix operator"),
        ("SELECT * FROM T1 WHERE ORDER BY pk", WELL + "Unexpected keyword"),
        ("SELECT * FROM T1 WHERE pad = 'none'", WELL + "Unexpected keyword"),
        ("SELECT * FROM table", WELL + "Unexpected keyword"),
        ("SELECT * FROM T1 WHERE IS NULL", WELL + "Unexpected operator"),
        ("SELECT * FROM T1 WHERE pk = LIKE", WELL + "Unexpected operator"),
        ("SELECT * FROM T1 WHERE pk = 'a' AND x IS FOO", WELL + "Expected type name"),
        ("DELETE FROM", WELL + "Expected identifier for simple path"),
        ("DELETE FROM;", WELL + "Expected identifier for simple path"),
        ("DELETE FROM WHERE pk = 'a'", WELL + "Expected identifier for simple path"),
        ("FROM T1 WHERE pk = 'a'", WELL + "Expected data manipulation"),
        ("UPDATE T1 WHERE pk = 'a'", WELL + "Expected data manipulation"),
        ("SELECT * FROM T1 WHERE pk = 'a' AND m.inner = 1", WELL + "Invalid path dot component"),
        (
            "UPDATE T1 SET m.inner = set_add(m.inner, <<'y'>>) WHERE pk = 'a'",
            WELL + "Invalid path dot component",
        ),
        ("SELECT * FROM T1.", WELL + "Invalid path dot component"),
        # Aliases, sources and projections.
        ("SELECT * FROM T1 t WHERE pk = 'x'", "Aliasing is not supported"),
        ("SELECT * FROM T1 AS t WHERE pk = 'x'", "Aliasing is not supported"),
        ("UPDATE T1 t SET a = 3 WHERE pk = 'x'", "Aliasing is not supported"),
        ("DELETE FROM T1 t WHERE pk = 'x'", "Aliasing is not supported"),
        ("SELECT a AS b FROM T1", "Aliasing is not supported"),
        ('SELECT * FROM "T1"."gsi"."extra"', "A path may contain at most 2 components in the FROM clause"),
        ('SELECT * FROM "T1".""', "Path component cannot be an empty string"),
        ('SELECT * FROM ""', "Path component cannot be an empty string"),
        ("SELECT * FROM T1, T2", "Only select from a single table or index is supported."),
        ("SELECT VALUE a FROM T1", "Select projection doesn't support value or pivot keywords"),
        ("SELECT *, a FROM T1", "Other attributes should not be present in the projection when '*' is used."),
        ("SELECT a, * FROM T1", "Other attributes should not be present in the projection when '*' is used."),
        ("SELECT a.x, b.x FROM T1", "Duplicate identifiers in select clause: x"),
        ("SELECT a.*.b FROM T1", "Unpivot path component like a.*.b are not supported"),
        ("SELECT a[*].b FROM T1", "Wildcard path component like a[*].b are not supported"),
        ("DELETE FROM T1.gsi WHERE pk = 'a'", "This operation is not supported on an index"),
        ("UPDATE T1.gsi SET a = 1 WHERE pk = 'a'", "This operation is not supported on an index"),
        ("INSERT INTO T1.gsi VALUE {'pk': 'a'}", "This operation is not supported on an index"),
        # ORDER BY.
        (
            "SELECT * FROM T1 ORDER BY pk",
            "Must have WHERE clause in the statement when using ORDER BY clause.",
        ),
        (
            "SELECT * FROM T1 WHERE pk = 1 ORDER BY a.b",
            "Argument to ORDER BY must be of type VariableReference. Type: Path",
        ),
        # Keys of writes.
        ("FROM T1 SET c = 1", "Where clause does not contain a mandatory equality on all key attributes"),
        ("FROM T1 REMOVE a", "Where clause does not contain a mandatory equality on all key attributes"),
        ("UPDATE T1 SET c = 1", "Where clause does not contain a mandatory equality on all key attributes"),
        ("DELETE FROM T1", "Where clause does not contain a mandatory equality on all key attributes"),
        # INSERT.
        ("INSERT INTO T1 VALUES ({'pk': 'a'})", MULTIPLE),
        ("INSERT INTO T1 VALUE <<{'pk': 'a'}, {'pk': 'b'}>>", MULTIPLE),
        ("INSERT INTO T1 VALUE ['pk', 'a']", errors.ITEM_FORMAT),
        ("INSERT INTO T1 VALUE {'pk': 'a'} RETURNING ALL NEW *", "RETURNING is not supported in INSERT"),
        ("INSERT INTO T1 VALUE {'pk': 'a', 'pk': 'b'}", "Duplicate keys in tuple. Key: pk under root"),
        (
            "INSERT INTO T1 VALUE {'pk': 'a', 'm': {'x': 1, 'x': 2}}",
            "Duplicate keys in tuple. Key: x under root",
        ),
        (
            "INSERT INTO T1 VALUE {'pk': 'a', 1: 'b'}",
            "Tuple keys must be of type String. Actual type: N under root",
        ),
        # RETURNING.
        (
            "DELETE FROM T1 WHERE pk = 'x' RETURNING MODIFIED OLD *",
            "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is allowed in "
            "DELETE statements.",
        ),
        (
            "DELETE FROM T1 WHERE pk = 'x' RETURNING ALL NEW *",
            "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in "
            "DELETE statements.",
        ),
        ("UPDATE T1 SET a = 1 WHERE pk = 'x' RETURNING ALL NEW", errors.RETURNING_SYNTAX),
        ("UPDATE T1 SET a = 1 WHERE pk = 'x' RETURNING NEW *", errors.RETURNING_SYNTAX),
        (
            "UPDATE T1 SET a = 1 WHERE pk = 'x' RETURNING ALL NEW *, a",
            "Invalid syntax with multiple returning elements in RETURNING clause",
        ),
        # Bare expressions parse but are no statement.
        ("x IS INT4", "Unsupported operation: IsType"),
        ("x IS DOUBLE PRECISION", "Unsupported operation: IsType"),
        ("x IS CHARACTER VARYING", "Unsupported operation: IsType"),
        ("x = 1", "Unsupported operation: NAry"),
        ("x", "Unsupported operation: VariableReference"),
        # Numbers break DynamoDB's limits: the message names where the literal is.
        ("SELECT * FROM T1 WHERE pk = 1e126", OVER),
        (
            "SELECT * FROM T1 WHERE pk = 1e-131",
            "Number underflow. Attempting to store a number with magnitude smaller than supported range under root",
        ),
        (
            "SELECT * FROM T1 WHERE pk = 123456789012345678901234567890123456789",
            "Attempting to store more than 38 significant digits in a Number under root",
        ),
        ("INSERT INTO T1 VALUE {'pk': 1e126}", OVER),
        ("UPDATE T1 SET a = -1e126 WHERE pk = 5", OVER),
        ("INSERT INTO T1 VALUE {'pk': 6, 'm': {'x': 1e126}}", OVER + ".x"),
        ("INSERT INTO T1 VALUE {'pk': 7, 'l': [1, 1e126]}", OVER + "[1]"),
        ("SELECT * FROM T1 WHERE a = {'m': [1e126]}", OVER + ".m[0]"),
        # Sets.
        ("UPDATE T1 SET ss = set_add(ss, <<>>) WHERE pk = 'a'", "Empty bags are not supported"),
        (
            "UPDATE T1 SET ss = set_add(ss, <<'x', 'x'>>) WHERE pk = 'a'",
            "One or more parameter values were invalid: Input collection [x, x] contains duplicates.",
        ),
        (
            "INSERT INTO T1 VALUE {'pk': 'a', 's': <<1, 'x'>>}",
            "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags",
        ),
        (
            "INSERT INTO T1 VALUE {'pk': 'a', 's': <<true>>}",
            "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags",
        ),
        # Conditions.
        ("SELECT * FROM T1 WHERE a = MISSING", "MISSING must be compared using IS operator"),
        ("SELECT * FROM T1 WHERE a IN []", errors.IN_OPERANDS),
        ("SELECT * FROM T1 WHERE 'a' IN ['a']", errors.IN_OPERANDS),
        ("SELECT * FROM T1 WHERE a IN [b]", errors.IN_OPERANDS),
        ("SELECT * FROM T1 WHERE a IN 'a'", errors.IN_OPERANDS),
        ("SELECT * FROM T1 WHERE size(a) IS NULL", errors.IS_OPERAND),
        ("SELECT * FROM T1 WHERE a IS INT", errors.IS_TYPE.format("INT")),
        ("SELECT * FROM T1 WHERE a", "WHERE clause must contain an expression that resolves to a boolean"),
        (
            "SELECT * FROM T1 WHERE size(a)",
            "WHERE clause must contain an expression that resolves to a boolean",
        ),
        ("SELECT * FROM T1 WHERE a = 1 AND b", "The arguments to AND/OR must be Expressions"),
        ("SELECT * FROM T1 WHERE NOT b", "The argument to NOT must be a Type or Expression"),
        ("SELECT * FROM T1 WHERE a + 1 = 2", "Unsupported operator in Condition Expression. Operator: +"),
        (
            "SELECT * FROM T1 WHERE a LIKE 'x%'",
            "Unsupported operator in Condition Expression. Operator: LIKE",
        ),
        (
            "SELECT * FROM T1 WHERE (a = 1) = (b = 2)",
            "Unsupported operator in Condition Expression. Operator: =",
        ),
        (
            "SELECT * FROM T1 WHERE begins_with(a, 'x') = b",
            errors.UNSUPPORTED_CONDITION_OPERATOR.format("begins_with"),
        ),
        (
            "SELECT * FROM T1 WHERE pk = 'x' AND val < true",
            "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL",
        ),
        (
            "SELECT * FROM T1 WHERE val BETWEEN [1] AND 2",
            "Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: L",
        ),
        (
            "SELECT * FROM T1 WHERE begins_with(a, 1)",
            "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
        ),
        (
            "SELECT * FROM T1 WHERE attribute_type(a, 1)",
            "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N",
        ),
        (
            "SELECT * FROM T1 WHERE attribute_exists('ss')",
            "Operator or function requires a document path; operator or function: attribute_exists",
        ),
        (
            "SELECT * FROM T1 WHERE attribute_exists()",
            "Incorrect number of operands for operator or function; operator or function: attribute_exists, "
            "number of operands: 0",
        ),
        (
            "SELECT * FROM T1 WHERE attribute_exists(ss, ns)",
            "Incorrect number of operands for operator or function; operator or function: attribute_exists, "
            "number of operands: 2",
        ),
        # Updates.
        ("UPDATE T1 SET a = b = c WHERE pk = 'a'", WELL + "Unexpected token after expression"),
        ("UPDATE T1 SET a = b IS NULL WHERE pk = 'a'", WELL + "Unexpected token after expression"),
        (
            "UPDATE T1 SET a = (b IS NULL) WHERE pk = 'a'",
            "IS operator is not supported in update expressions",
        ),
        (
            "UPDATE T1 SET a = (b = c) WHERE pk = 'a'",
            "Unsupported operator in Update Expression. Operator: =",
        ),
        (
            "UPDATE T1 SET a = (b AND c) WHERE pk = 'a'",
            "Unsupported operator in Update Expression. Operator: AND",
        ),
        (
            "UPDATE T1 SET a = (NOT b) WHERE pk = 'a'",
            "Unsupported operator in Update Expression. Operator: NOT",
        ),
        ("UPDATE T1 SET a = b * 2 WHERE pk = 'a'", "Unsupported operator in Update Expression. Operator: *"),
        ("UPDATE T1 SET a = MISSING WHERE pk = 'a'", "MISSING must be compared using IS operator"),
        (
            "UPDATE T1 SET a = list_append(a) WHERE pk = 'a'",
            "Incorrect number of operands for operator or function; operator or function: list_append, "
            "number of operands: 1",
        ),
        ("UPDATE T1 SET f(a) = 1 WHERE pk = 'a'", "Unrecognized assignment target: f"),
        (
            "UPDATE T1 SET a = a + 1 + 2 WHERE pk = 'a'",
            "Unsupported operator in Update Expression. Operator: +",
        ),
        ("UPDATE T1 SET a = b - MISSING WHERE pk = 'a'", "MISSING must be compared using IS operator"),
        (
            "UPDATE T1 SET a = list_append(a, size(b)) WHERE pk = 'a'",
            "Unsupported operator in Update Expression. Operator: list_append",
        ),
        ("UPDATE T1 SET a = 1 WHERE pk = ?", "Number of parameters in request and statement don't match."),
    ],
)
def test_parse_errors(statement: str, message: str) -> None:
    assert refused(statement) == message


@pytest.mark.parametrize(
    ("statement", "message", "token", "length", "after"),
    [
        ("SELECT attribute_exists(ss) FROM T1", "Unexpected path component", "attribute_exists", None, ""),
        ("SELECT 'x' FROM T1", "Unexpected path component", "'x'", None, ""),
        (
            "SELECT * FROM T1 WHERE pk = 'a' AND EXISTS(ss)",
            "Unrecognized function: exists",
            "EXISTS",
            None,
            "",
        ),
        (
            "SELECT * FROM T1 WHERE set_add(ss, <<'x'>>) = ss",
            "Unrecognized function: set_add",
            "set_add",
            None,
            "",
        ),
        ("UPDATE T1 SET a = upper(a) WHERE pk = 'a'", "Unrecognized function: upper", "upper", None, ""),
        (
            "UPDATE T1 SET t = set_add(ss, <<'x'>>) WHERE pk = 'a'",
            "The first argument to SET_ADD must equal the assignment value",
            "set_add",
            None,
            "",
        ),
        (
            "UPDATE T1 SET ss = set_add(<<'a'>>, <<'b'>>) WHERE pk = 'a'",
            "The first argument to SET_ADD must equal the assignment value",
            "set_add",
            None,
            "",
        ),
        (
            "UPDATE T1 SET ss = set_add(ss, 'x') WHERE pk = 'a'",
            "The second argument to SET_ADD must be a value with type SET",
            "ss",
            None,
            "set_add(",
        ),
        (
            "UPDATE T1 SET ss = set_add(ss, ['x']) WHERE pk = 'a'",
            "The second argument to SET_ADD must be a value with type SET",
            "ss",
            None,
            "set_add(",
        ),
        (
            "UPDATE T1 SET ss = set_add(ss) WHERE pk = 'a'",
            "SET_ADD must have exactly two arguments",
            "set_add",
            None,
            "",
        ),
        (
            "UPDATE T1 SET ss = set_add(ss, <<'x'>>, <<'y'>>) WHERE pk = 'a'",
            "SET_ADD must have exactly two arguments",
            "set_add",
            None,
            "",
        ),
        (
            "UPDATE T1 SET t = set_delete(ss, <<'a'>>) WHERE pk = 'a'",
            "The first argument to SET_DELETE must equal the assignment value",
            "set_delete",
            None,
            "",
        ),
        (
            "UPDATE T1 SET ss = set_delete(ss, 'a') WHERE pk = 'a'",
            "The second argument to SET_DELETE must be a value with type SET",
            "ss",
            None,
            "set_delete(",
        ),
        (
            "INSERT INTO T1 VALUE {'pk': 'x', 'ss': set_add(<<'a'>>, <<'b'>>)}",
            "Unsupported data type: set_add under key root",
            "set_add",
            None,
            "",
        ),
        (
            "INSERT INTO T1 VALUE {'pk': 'x', 'm': {'a': other.b}}",
            "Unsupported data type: other.b under key root.a",
            "other",
            None,
            "",
        ),
    ],
)
def test_errors_with_positions(
    statement: str, message: str, token: str, length: int | None, after: str
) -> None:
    start = statement.index(after) if after else 0
    assert refused(statement) == f"{message} at {at(statement, token, length, start)}"


def test_positions_count_lines_and_columns() -> None:
    statement = "SELECT *\nFROM T1\n  WHERE nope(a)"
    assert refused(statement) == "Unrecognized function: nope at 3:9:4"


def test_parameter_count_must_match() -> None:
    message = "Number of parameters in request and statement don't match."
    assert refused("SELECT * FROM T1 WHERE pk = ?") == message
    assert refused("SELECT * FROM T1 WHERE pk = ? AND sk = ?", [S("a")]) == message
    assert refused("SELECT * FROM T1 WHERE pk = 'a'", [S("x")]) == message
    assert refused("INSERT INTO T1 VALUE {'pk': ?, 's': <<?, ?>>}", [S("a"), S("b")]) == message


def test_ordering_a_parameter_of_an_unordered_type() -> None:
    assert refused("SELECT pk FROM T1 WHERE pk = 'x' AND val < ?", [{"BOOL": True}]) == (
        "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL"
    )


def test_parameters_are_validated_and_normalized() -> None:
    statement = parse_statement("SELECT * FROM T1 WHERE pk = ?", [N("01.50")])
    assert key_equalities(statement.where, {"pk"}) == {"pk": N("1.5")}
    assert refused("SELECT * FROM T1 WHERE pk = ?", [N("abc")]) == (
        "The parameter cannot be converted to a numeric value: abc"
    )


def test_set_literals_from_parameters() -> None:
    statement = parse_statement("UPDATE T1 SET ns = set_add(ns, <<?, ?>>) WHERE pk = 'a'", [N("1"), N("2.0")])
    assert statement.actions[0].value.args[1].value == {"NS": ["1", "2"]}


def test_path_and_token_helpers() -> None:
    statement = parse_statement('SELECT a.b[2]."c d" FROM T1')
    path = statement.projection[0]
    assert str(path) == "a.b[2].c d"
    assert path == Path(("a", "b", 2, "c d"), path.token)


def test_values_are_copied_so_the_input_item_never_changes() -> None:
    item = {"b": {"L": [S("x")]}}
    new = updated("SET a = b, b[1] = 'y'", item)
    assert new == {"a": {"L": [S("x")]}, "b": {"L": [S("x"), S("y")]}}
    new["a"]["L"].append(S("z"))
    assert item == {"b": {"L": [S("x")]}}


# ---------------------------------------------------------------- properties

_PATHS = st.sampled_from(["a", "b", "b[0]", "b[3]", "m.x", "m.y.z", "q", "pk", '"a"', "l[1].x"])
_LITERALS = st.sampled_from(
    ["1", "'x'", "true", "null", "[1, 'a']", "{'x': 1}", "<<'a'>>", "<<1, 2>>", "-2.5", "MISSING"]
)
_OPERANDS = _PATHS | _LITERALS | st.sampled_from(["size(a)", "size(q)", "?"])
_LEAVES = (
    st.tuples(_OPERANDS, st.sampled_from(["=", "<>", "!=", "<", "<=", ">", ">="]), _OPERANDS).map(" ".join)
    | st.tuples(_OPERANDS, _OPERANDS, _OPERANDS).map(lambda t: f"{t[0]} BETWEEN {t[1]} AND {t[2]}")
    | st.tuples(_PATHS, st.lists(_LITERALS, max_size=3)).map(lambda t: f"{t[0]} IN [{', '.join(t[1])}]")
    | st.tuples(_OPERANDS, st.sampled_from(["MISSING", "NOT NULL", "STRING", "NUMERIC", "LIST", "INT"])).map(
        lambda t: f"{t[0]} IS {t[1]}"
    )
    | st.tuples(
        st.sampled_from(["begins_with", "contains", "attribute_type", "attribute_exists", "size", "foo"]),
        st.lists(_OPERANDS, max_size=3),
    ).map(lambda t: f"{t[0]}({', '.join(t[1])})")
)
_CONDITIONS = st.recursive(
    _LEAVES,
    lambda inner: (
        st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(lambda t: f"({' '.join(t)})")
        | inner.map(lambda c: f"NOT {c}")
    ),
    max_leaves=6,
)
_VALUES = (
    _OPERANDS
    | st.tuples(_OPERANDS, st.sampled_from(["+", "-"]), _OPERANDS).map(" ".join)
    | st.tuples(_OPERANDS, _OPERANDS).map(lambda t: f"list_append({t[0]}, {t[1]})")
    | st.tuples(st.sampled_from(["set_add", "set_delete"]), _PATHS, _LITERALS).map(
        lambda t: f"{t[0]}({t[1]}, {t[2]})"
    )
)
_ACTIONS = st.lists(
    st.tuples(_PATHS, _VALUES).map(lambda t: f"SET {t[0]} = {t[1]}") | _PATHS.map(lambda p: f"REMOVE {p}"),
    min_size=1,
    max_size=3,
).map(" ".join)
_PARAMETER = st.sampled_from([N("2"), S("a"), {"SS": ["x"]}, {"L": []}, {"BOOL": True}])
_ITEMS = st.sampled_from(
    [
        {},
        {"a": S("q"), "b": S("w")},
        {
            "pk": S("a"),
            "a": N("1"),
            "b": {"L": [S("x"), N("2")]},
            "q": {"SS": ["a"]},
            "m": {"M": {"x": N("3"), "y": {"M": {"z": S("zz")}}}},
            "l": {"L": [{"M": {}}, {"M": {"x": {"BOOL": False}}}]},
        },
    ]
)


@settings(max_examples=300, deadline=None)
@given(condition=_CONDITIONS, actions=_ACTIONS, item=_ITEMS, parameter=_PARAMETER, select=st.booleans())
def test_any_statement_is_answered_or_refused_with_a_validation_error(
    condition: str, actions: str, item: dict, parameter: dict, select: bool
) -> None:
    text = f"SELECT * FROM T1 WHERE {condition}" if select else f"UPDATE T1 {actions} WHERE {condition}"
    before = copy.deepcopy(item)
    try:
        statement = parse_statement(text, [parameter] * text.count("?"))
        assert isinstance(evaluate_where(statement.where, item), bool)
        key_condition(statement.where, "pk", "a")
        if isinstance(statement, Update):
            new, _ = apply_update(statement, item)
            returning_values(Update("T1", statement.actions, statement.where, "MODIFIED NEW"), item, new)
    except ServiceError as error:
        assert error.code == "ValidationException" and error.status == 400
    assert item == before
