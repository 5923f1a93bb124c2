"""The filter pattern engine, form by form (CloudWatch Logs User Guide, "Filter pattern syntax")."""

from __future__ import annotations

import pytest

from cloudlet.services.logs.patterns import PatternError, compile_pattern, event_fields


def matches(pattern: str, message: str) -> bool:
    return compile_pattern(pattern)(message)


@pytest.mark.parametrize("pattern", ["", " ", None])
def test_empty_matches_everything(pattern):
    assert compile_pattern(pattern)("anything")


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        ("ERROR", "[ERROR] disk full", True),
        ("ERROR", "[error] disk full", False),  # case-sensitive
        ("ERROR disk", "[ERROR] disk full", True),  # all terms
        ("ERROR memory", "[ERROR] disk full", False),
        ('"disk full"', "[ERROR] disk full", True),  # phrase
        ('"full disk"', "[ERROR] disk full", False),
        ('"a \\"quoted\\" word"', 'has a "quoted" word', True),
        ("?ERROR ?WARN", "WARN slow", True),  # any of
        ("?ERROR ?WARN", "INFO ok", False),
        ("ERROR -disk", "[ERROR] disk full", False),  # exclusion
        ("ERROR -memory", "[ERROR] disk full", True),
        ('-"disk full"', "INFO ok", True),
        ("%ERR(OR)?:%", "ERR: x", True),  # regular expression
        ("%^INFO%", "WARN INFO", False),
    ],
)
def test_terms(pattern, message, expected):
    assert matches(pattern, message) is expected


DOC = (
    '{"eventType": "UpdateTrail", "sourceIPAddress": "123.123.10.1", "latency": 120, "ratio": 0.5, '
    '"ok": true, "failed": false, "gone": null, "user": {"id": "u-1", "roles": ["admin", "dev"]}, '
    '"items": [{"id": 1}, {"id": 2}], "count": "42"}'
)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ("{ $.eventType = UpdateTrail }", True),
        ('{ $.eventType != "UpdateTrail" }', False),
        ('{ $.eventType = "Update*" }', True),  # wildcard
        ("{ $.sourceIPAddress != 123.123.* }", False),
        ("{ $.sourceIPAddress = 123.123.* }", True),
        ("{ $.latency = 120 }", True),
        ("{ $.latency != 120 }", False),
        ("{ $.latency > 100 }", True),
        ("{ $.latency < 100 }", False),
        ("{ $.latency >= 120 }", True),
        ("{ $.latency <= 119 }", False),
        ("{ $.ratio = 5e-1 }", True),
        ("{ $.latency > 100 && $.eventType = UpdateTrail }", True),
        ("{ $.latency > 200 || $.eventType = UpdateTrail }", True),
        ("{ ($.latency > 200 || $.ok IS TRUE) && $.failed IS FALSE }", True),
        ("{ $.ok IS TRUE }", True),
        ("{ $.ok IS FALSE }", False),
        ("{ $.failed IS FALSE }", True),
        ("{ $.gone IS NULL }", True),
        ("{ $.ok IS NULL }", False),
        ("{ $.missing NOT EXISTS }", True),
        ("{ $.gone NOT EXISTS }", False),
        ("{ $.user.id EXISTS }", True),
        ('{ $.user.id = "u-1" }', True),
        ('{ $.user.roles[0] = "admin" }', True),
        ('{ $.user.roles[1] = "admin" }', False),
        ('{ $.user.roles[*] = "dev" }', True),
        ("{ $.items[1].id = 2 }", True),
        ('{ $.* = "UpdateTrail" }', True),
        ("{ $.count = 42 }", True),  # a numeric string compares as a number
        ('{ $.missing = "x" }', False),
        ('{ $.missing != "x" }', False),  # unverified: comparisons on a missing field never match
    ],
)
def test_json(pattern, expected):
    assert matches(pattern, DOC) is expected


def test_json_on_non_json_never_matches():
    assert not matches('{ $.a = "b" }', "not json")
    assert not matches("{ $.a NOT EXISTS }", "not json")


LINE = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326'


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ip, user, username, timestamp, request, status_code, bytes]", True),
        ("[ip, user, username, timestamp, request, status_code]", False),  # field count differs
        ("[ip, user, ..., status_code = 404, bytes]", True),
        ("[ip, user, ..., status_code = 4*, bytes > 1000]", True),
        ("[..., status_code = 200, bytes]", False),
        ("[ip = 127.0.0.*, ...]", True),
        ("[ip != 127.0.0.1, ...]", False),
        ('[..., request = "GET /apache_pb.gif HTTP/1.0", status_code, bytes]', True),
        ("[..., request = *apache*, status_code, bytes]", True),
        ("[..., bytes >= 2326]", True),
        ("[..., bytes < 2326]", False),
        ("[..., status_code = 404 || status_code = 410, bytes]", True),
        ("[..., status_code = 500 || status_code = 410, bytes]", False),
        ("[..., status_code >= 400 && status_code < 500, bytes]", True),
        ("[...]", True),
    ],
)
def test_space_delimited(pattern, expected):
    assert matches(pattern, LINE) is expected


def test_event_fields_group_brackets_and_quotes():
    assert event_fields(LINE) == [
        "127.0.0.1",
        "-",
        "frank",
        "10/Oct/2000:13:55:36 -0700",
        "GET /apache_pb.gif HTTP/1.0",
        "404",
        "2326",
    ]


@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.a = ",
        "{ a = 1 }",
        "{ $.a > abc }",
        "{ $.a IS MAYBE }",
        "[a, b",
        '"unterminated',
        "{ ($.a = 1 }",
        "[a > x]",
    ],
)
def test_malformed(pattern):
    with pytest.raises(PatternError):
        compile_pattern(pattern)
