"""The JSONPath dialect (Jayway's): recorded AWS behaviour, the dialect's features, properties."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.services.stepfunctions.asl import jsonpath
from cloudlet.services.stepfunctions.asl.errors import StatesError
from cloudlet.services.stepfunctions.asl.jsonpath import (
    PathNotFound,
    assign,
    is_path,
    is_reference_path,
    query,
)

from .recorded import executions

BASE = "v2/base/test_base.snapshot.json"
SCENARIOS = "v2/scenarios/test_base_scenarios.snapshot.json"

STORE = {
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
            {"category": "fiction", "author": "Herman Melville", "isbn": "0-553", "price": 8.99},
            {"category": "fiction", "author": "J. R. R. Tolkien", "isbn": "0-395", "price": 22.99},
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "expensive": 10,
}

# ---------------------------------------------------------------------------------- recorded


@pytest.mark.parametrize("path", ["$.items[0]", "$.items[10]"])
def test_recorded_array_access(path: str) -> None:
    (run,) = executions(BASE, f"test_json_path_array_access[{path}]")
    assert {"item": query(path, run.input)} == run.output


@pytest.mark.parametrize(
    "path",
    [
        "$[*]",
        "$.items[*]",
        "$.items[1:]",
        "$.items[:1]",
        "$.item.items[*]",
        "$.item.items[1:]",
        "$.item.items[:1]",
        "$.item.items[1:5]",
        "$.items[*].itemValue",
        "$.items[1:].itemValue",
        "$.items[:1].itemValue",
        "$.item.items[1:5].itemValue",
    ],
)
def test_recorded_indefinite_path_on_missing_input_is_empty_list(path: str) -> None:
    (run,) = executions(BASE, f"test_json_path_array_wildcard_or_slice_with_no_input[{path}]")
    assert {"item": query(path, run.input)} == run.output


def test_recorded_filter() -> None:
    (run,) = executions(BASE, "test_state_pass_regex_json_path_base")
    assert {"FromInput": query("$.users[?(@.status == 0)]", run.input)} == run.output


def test_recorded_escaped_bracket_name_keeps_backslash() -> None:
    (run,) = executions(SCENARIOS, "test_escape_sequence_parsing[ESCAPE_SEQUENCES_JSONPATH]")
    assert {"value": query('$[\'Test\\""Name"\']', run.input)} == run.output


@pytest.mark.parametrize(
    ("test", "path", "data"),
    [
        ("test_catch_states_runtime", "$.no.such.result.path", {}),
        ("test_invalid_jsonpath[ST.INVALID_JSONPATH_IN_INPUTPATH]", "$.NoSuchInputPath", {}),
        ("test_invalid_jsonpath[ST.INVALID_JSONPATH_IN_OUTPUTPATH]", "$.NoSuchOutputPath", {}),
        (
            "test_invalid_jsonpath[ST.INVALID_JSONPATH_IN_TIMEOUTSECONDSPATH]",
            "$.NoSuchTimeoutSecondsPath",
            {},
        ),
    ],
)
def test_recorded_not_found_messages(test: str, path: str, data: Any) -> None:
    (run,) = executions(SCENARIOS, test)
    with pytest.raises(PathNotFound) as caught:
        query(path, data)
    assert run.cause.endswith(f"Invalid path '{path}' : {caught.value.detail}")


# ---------------------------------------------------------------------------------- dialect


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", STORE),
        ("$.expensive", 10),
        ("$['expensive']", 10),
        ('$["expensive"]', 10),
        ("$.store.bicycle.color", "red"),
        ("$.store['bicycle'].color", "red"),
        ("$.['store'].bicycle.price", 19.95),
        ("$.store.book[0].author", "Nigel Rees"),
        ("$.store.book[-1].author", "J. R. R. Tolkien"),
        ("$.store.book[-4].price", 8.95),
        ("$.store.book[*].author", ["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"]),
        ("$.store.book[1:3].price", [12.99, 8.99]),
        ("$.store.book[:2].price", [8.95, 12.99]),
        ("$.store.book[-2:].price", [8.99, 22.99]),
        ("$.store.book[2:].price", [8.99, 22.99]),
        ("$.store.book[0,2].price", [8.95, 8.99]),
        ("$.store.bicycle['color','price']", ["red", 19.95]),
        ("$.store.bicycle.*", ["red", 19.95]),
        ("$..isbn", ["0-553", "0-395"]),
        ("$..bicycle.color", ["red"]),
        ("$.store..price", [8.95, 12.99, 8.99, 22.99, 19.95]),
        ("$..book[2].isbn", ["0-553"]),
        ("$.store.book[?(@.isbn)].isbn", ["0-553", "0-395"]),
        ("$.store.book[?(!@.isbn)].price", [8.95, 12.99]),
        ("$.store.book[?(@.price < 10)].price", [8.95, 8.99]),
        ("$.store.book[?(@.price >= 12.99)].price", [12.99, 22.99]),
        ("$.store.book[?(@.price > $.expensive)].price", [12.99, 22.99]),
        ("$.store.book[?(@.category == 'reference')].price", [8.95]),
        ('$.store.book[?(@.category != "fiction")].price', [8.95]),
        ("$.store.book[?(@.category == 'fiction' && @.price < 10)].price", [8.99]),
        ("$.store.book[?(@.price < 9 || @.price > 20)].price", [8.95, 8.99, 22.99]),
        ("$.store.book[?((@.price < 9) && !(@.category == 'reference'))].price", [8.99]),
        ("$.store.book[?(@.author =~ /.*Tolkien/)].price", [22.99]),
        ("$.store.book[?(@.author =~ /.*tolkien/i)].price", [22.99]),
        ("$.store.book[?(@.category in ['reference', 'x'])].price", [8.95]),
        ("$.store.book[?(@.category nin ['fiction'])].price", [8.95]),
        ("$.store.book[?(@.author contains 'Rees')].price", [8.95]),
        ("$.store.book[?(@.title size 7)].price", [8.95]),
        ("$.store.book.length()", 4),
        ("$.store.book[*].price.min()", 8.95),
        ("$.store.book[*].price.max()", 22.99),
        ("$.store.bicycle.keys()", ["color", "price"]),
        ("$.store.book[?(@.price > 100)]", []),
        ("$.nothing[*]", []),
        ("$..nothing", []),
    ],
)
def test_query(path: str, expected: Any) -> None:
    assert query(path, STORE) == expected


def test_filter_on_root_array_and_coercion() -> None:
    users = [{"year": 1997, "id": "1"}, {"year": 1998, "id": 2}]
    assert query("$[?(@.year <= 1997)]", users) == [users[0]]
    assert query("$.[?(@.year < 1999)].year", users) == [1997, 1998]
    assert query("$[?(@.id == 1)].year", users) == [1997]  # Jayway: '1' == 1
    assert query("$[?(@.id < 3)].year", users) == [1998]  # but < needs the same type
    assert query("$[?(@.flag == true)]", [{"flag": 1}, {"flag": True}]) == [{"flag": True}]


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("$.x", {}, "No results for path: $['x']"),
        ("$.a.b", {"a": {}}, "No results for path: $['a']['b']"),
        ("$.no.such.path", {}, "Missing property in path $['no']"),
        ("$.a.b.c", {"a": {}}, "Missing property in path $['a']['b']"),
        ("$.a[3]", {"a": [1]}, "No results for path: $['a'][3]"),
        ("$.a[-2]", {"a": [1]}, "No results for path: $['a'][-2]"),
        ("$.a[0]", {"a": None}, "The path $['a'] is null"),
    ],
)
def test_definite_path_misses(path: str, data: Any, message: str) -> None:
    with pytest.raises(PathNotFound) as caught:
        query(path, data)
    assert caught.value.detail == message
    assert caught.value.error == "States.Runtime"


def test_definite_path_into_wrong_types() -> None:
    with pytest.raises(
        PathNotFound, match=r"Expected to find an object with property \['b'\] in path \$\['a'\]"
    ):
        query("$.a.b", {"a": 5})
    with pytest.raises(PathNotFound, match=r"Filter: \[0\] can only be applied to arrays"):
        query("$.a[0]", {"a": {"k": 1}})


@pytest.mark.parametrize(
    "path",
    [
        "$",
        "$.a",
        "$.a.b[0]",
        "$['a b']",
        "$.a[-1]",
        "$.a[*]",
        "$..a",
        "$.a[1:2]",
        "$.a[?(@.b == 1)]",
        "$.a.length()",
    ],
)
def test_is_path(path: str) -> None:
    assert is_path(path)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "a",
        "$.",
        "$.a.",
        "$[",
        "$['a'",
        "$.a[x]",
        "$.a[1:2:3]",
        "$.a[?(@.b ==)]",
        "$.a.nofun()",
        "$a b",
        None,
        5,
    ],
)
def test_is_not_path(path: Any) -> None:
    assert not is_path(path)


@pytest.mark.parametrize("path", ["$", "$.a", "$.a.b", "$['a']['b c']", "$.a[0]", "$.a[-1].b"])
def test_is_reference_path(path: str) -> None:
    assert is_reference_path(path)


@pytest.mark.parametrize(
    "path", ["$.a[*]", "$..a", "$.a[0,1]", "$.a[1:]", "$.a[?(@.x)]", "$.a.length()", "$.*", "x"]
)
def test_is_not_reference_path(path: str) -> None:
    assert not is_reference_path(path)


# ---------------------------------------------------------------------------------- assign


def test_assign_creates_objects_and_copies() -> None:
    data = {"a": {"keep": 1}}
    out = assign(data, "$.a.b.c", [1])
    assert out == {"a": {"keep": 1, "b": {"c": [1]}}}
    assert data == {"a": {"keep": 1}}
    assert assign(data, "$", "x") == "x"
    assert assign({"l": [1, 2]}, "$.l[-1]", 9) == {"l": [1, 9]}
    assert assign({"k": 1}, "$['k']", 2) == {"k": 2}


@pytest.mark.parametrize(
    ("data", "path"), [("s", "$.a"), ({"a": 1}, "$.a.b"), ({"l": [1]}, "$.l[5]"), ([], "$.a")]
)
def test_assign_into_non_object_fails(data: Any, path: str) -> None:
    with pytest.raises(PathNotFound):
        assign(data, path, 1)


def test_assign_rejects_non_reference_path() -> None:
    with pytest.raises(StatesError):
        assign({}, "$.a[*]", 1)


def test_java_strings() -> None:
    assert jsonpath.to_java_string({"Arg1": 1, "Arg2": [], "s": "x", "n": None, "b": True}) == (
        "{Arg1=1, Arg2=[], s=x, n=null, b=true}"
    )
    assert jsonpath.to_java_string([1.5, 1.0, 1e20, 1e-5]) == "[1.5, 1.0, 1.0E20, 1.0E-5]"


# ---------------------------------------------------------------------------------- properties

NAMES = st.text(alphabet=st.characters(blacklist_characters="'\\", blacklist_categories=("Cs",)), min_size=1)
SIMPLE = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
STEPS = st.lists(st.one_of(SIMPLE.map(lambda n: ("dot", n)), NAMES.map(lambda n: ("bracket", n)),
                           st.integers(-5, 5).map(lambda i: ("index", i))), max_size=6)  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=10,
)


def _render(steps: list[tuple[str, Any]]) -> str:
    out = "$"
    for kind, value in steps:
        out += f".{value}" if kind == "dot" else f"['{value}']" if kind == "bracket" else f"[{value}]"
    return out


def _build(steps: list[tuple[str, Any]], leaf: Any, filler: Any) -> Any:
    node = leaf
    for kind, value in reversed(steps):
        if kind == "index":
            size = max(value + 1, -value, 1)
            items = [filler] * size
            items[value] = node
            node = items
        else:
            node = {"sibling": filler, value: node}
    return node


@given(STEPS, JSON, JSON)
def test_definite_path_finds_what_was_put_there(steps: list[tuple[str, Any]], leaf: Any, filler: Any) -> None:
    assert query(_render(steps), _build(steps, leaf, filler)) == leaf


@given(STEPS, JSON, JSON, JSON)
def test_assign_then_query_round_trips(
    steps: list[tuple[str, Any]], leaf: Any, filler: Any, value: Any
) -> None:
    path = _render(steps)
    data = _build(steps, leaf, filler)
    before = copy.deepcopy(data)
    assert query(path, assign(data, path, value)) == value
    assert data == before


@given(st.lists(SIMPLE, max_size=5), JSON)
def test_assign_creates_missing_objects(names: list[str], value: Any) -> None:
    path = "$" + "".join(f".{n}" for n in names)
    assert query(path, assign({}, path, value)) == value


PATHISH = st.text(alphabet="$@.[]()*?:,'\"=!<>&|~-0123456789abx ", max_size=30).map(lambda s: "$" + s)


@settings(max_examples=300)
@given(st.one_of(PATHISH, st.text(max_size=20)), JSON)
def test_arbitrary_paths_raise_only_states_errors(path: str, data: Any) -> None:
    try:
        result = query(path, data)
    except StatesError:
        return
    assert is_path(path)
    if not jsonpath.parse(path).definite:
        assert isinstance(result, list | int | float | dict)


@given(JSON)
def test_deep_scan_wildcard_visits_every_value(data: Any) -> None:
    values = query("$..*", data)
    count = 0

    def walk(node: Any) -> None:
        nonlocal count
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
        for child in children:
            count += 1
            walk(child)

    walk(data)
    assert len(values) == count


def test_path_text_in_messages_normalized() -> None:
    parsed = jsonpath.parse("$.a['b'][0][*]..c[1:2]")
    assert re.fullmatch(r"\$\['a'\]\['b'\]\[0\]\[\*\]\.\.\['c'\]\[1:2\]", parsed.text())
