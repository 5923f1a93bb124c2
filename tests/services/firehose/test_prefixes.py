"""The prefix engine on its own: Java DateTimeFormatter patterns, expressions and their rules."""

from __future__ import annotations

import datetime as dt

import pytest

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.firehose import prefixes

AT = dt.datetime(2024, 3, 7, 15, 4, 5, 123456, tzinfo=dt.UTC)
WHEN = AT.timestamp()


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy/MM/dd/HH/", "2024/03/07/15/"),
        ("yy-M-d H:m:s", "24-3-7 15:4:5"),
        ("uuuu", "2024"),
        ("DDD", "067"),
        ("D", "67"),
        ("hh a", "03 PM"),
        ("MMM MMMM", "Mar March"),
        ("EEE EEEE", "Thu Thursday"),
        ("SSS", "123"),
        ("yyyy'-'MM'T'HH", "2024-03T15"),
        ("'year='yyyy", "year=2024"),
        ("''yyyy''", "'2024'"),
        ("yyyy_MM.dd=HH", "2024_03.07=15"),
    ],
)
def test_java_patterns(pattern, expected):
    prefixes.check_pattern(pattern, "Prefix")
    assert prefixes.format_java(pattern, AT) == expected


@pytest.mark.parametrize("pattern", ["yyyy-b", "'open", "[yyyy]", "ddd", "HHH", "", "aa"])
def test_bad_patterns(pattern):
    with pytest.raises(ServiceError) as exc:
        prefixes.check_pattern(pattern, "Prefix")
    assert exc.value.code == "InvalidArgumentException"


@pytest.mark.parametrize("pattern", ["G", "Q", "w", "Z", "VV"])
def test_java_letters_not_implemented(pattern):
    with pytest.raises(ServiceError) as exc:
        prefixes.check_pattern(pattern, "Prefix")
    assert exc.value.code == "NotImplemented"


def test_evaluation():
    assert prefixes.evaluate("", WHEN) == "2024/03/07/15/"
    assert prefixes.evaluate("logs/", WHEN) == "logs/2024/03/07/15/"
    assert prefixes.evaluate("y=!{timestamp:yyyy}/d=!{timestamp:DDD}/", WHEN) == "y=2024/d=067/"
    random = prefixes.evaluate("!{firehose:random-string}/", WHEN)
    assert len(random.split("/")[0]) == 11 and random.endswith("/2024/03/07/15/")
    assert prefixes.evaluate("e/!{firehose:error-output-type}/", WHEN) == "e/processing-failed/2024/03/07/15/"
    assert (
        prefixes.evaluate(prefixes.default_error_prefix("p/"), WHEN) == "p/processing-failed/2024/03/07/15/"
    )
    assert len(prefixes.evaluate("x" * 600, WHEN)) == prefixes.MAX_EVALUATED


def test_rules_accept_what_aws_documents():
    prefixes.check_prefixes(None, None, False)
    prefixes.check_prefixes("plain/", None, False)
    prefixes.check_prefixes("plain/", "errors/", False)
    prefixes.check_prefixes(
        "d=!{timestamp:yyyy'-'MM'-'dd}/h=!{timestamp:HH}/",
        "processing-failed/dt=!{timestamp:yyyy'-'MM'-'dd}/!{firehose:error-output-type}",
        False,
    )
