"""ScheduleExpression parsing and firing times (schedule.py), without a server."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from croniter import CroniterBadDateError, croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.events.schedule import parse_schedule

UTC = dt.UTC


def at(*parts: int) -> float:
    return dt.datetime(*parts, tzinfo=UTC).timestamp()


def firings(expression: str, start: float, count: int) -> list[str]:
    schedule = parse_schedule(expression)
    out: list[str] = []
    t: float | None = start
    for _ in range(count):
        t = schedule.next_after(t)
        if t is None:
            break
        out.append(dt.datetime.fromtimestamp(t, UTC).strftime("%a %Y-%m-%d %H:%M"))
    return out


def refused(expression) -> None:
    with pytest.raises(ServiceError) as caught:
        parse_schedule(expression)
    assert caught.value.code == "ValidationException"
    assert caught.value.message == "Parameter ScheduleExpression is not valid."  # recorded
    assert caught.value.status == 400


# ---- parsing ---------------------------------------------------------------------------------

RECORDED_VALID = [
    "rate(1 minute)",
    "cron(0 20 * * ? *)",
    "cron(0 10 * * ? *)",
    "cron(15 12 * * ? *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(0/10 * ? * MON-FRI *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0/30 20-23 ? * MON-FRI *)",
    "cron(0/30 0-2 ? * MON-FRI *)",
    "cron(0 2 ? * SAT *)",
    "cron(0 12 * * ? *)",
    "cron(5,35 14 * * ? *)",
    "cron(15 10 ? * 6L 2002-2005)",
    "cron(0 2 ? * SAT#3 *)",
    "cron(* * ? * SAT#3 *)",
    "cron(0/5 5 ? JAN 1-5 2022)",
]


@pytest.mark.parametrize("expression", RECORDED_VALID)
def test_recorded_valid(expression):
    assert parse_schedule(expression).expression == expression


@pytest.mark.parametrize(
    "expression",
    [
        "cron(INVALID)",
        "cron(0 dummy ? * MON-FRI *)",
        "cron(7 20 * * NOT *)",
        "cron(71 8 1 * ? *)",
        "cron(0 1 * * * *)",
    ],
)
def test_recorded_invalid(expression):
    refused(expression)


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(12 hours)", 43200),
        ("rate(1 day)", 86400),
        ("rate(7 days)", 604800),
    ],
)
def test_rates(expression, period):
    assert parse_schedule(expression).period == period


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(2 minute)",
        "rate(0 minutes)",
        "rate(-1 minutes)",
        "rate(1.5 hours)",
        "rate(5 seconds)",
        "rate(5 weeks)",
        "rate(5minutes)",
        "rate(5  minutes)",
        "rate(minutes)",
        "rate()",
        "RATE(5 minutes)",
        "rate(5 Minutes)",
        " rate(5 minutes)",
        "rate(5 minutes) ",
        "at(2024-01-01T00:00:00)",
        "",
        "cron()",
        "cron(0 12 * * ?)",
        "cron(0 12 * * ? * *)",
        "cron(0  12 * * ? *)",
        "cron(0 12 ? * ? *)",
        "cron(0 12 1 * MON *)",
        "cron(60 12 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 12 0 * ? *)",
        "cron(0 12 32 * ? *)",
        "cron(0 12 * 13 ? *)",
        "cron(0 12 * 0 ? *)",
        "cron(0 12 ? * 0 *)",
        "cron(0 12 ? * 8 *)",
        "cron(0 12 * * ? 1969)",
        "cron(0 12 * * ? 2200)",
        "cron(0 12 * FOO ? *)",
        "cron(0 12 ? * MON-FOO *)",
        "cron(0 12 ? * FRI-MON *)",
        "cron(0 12 * * ? 2005-2002)",
        "cron(0/0 12 * * ? *)",
        "cron(*-5 12 * * ? *)",
        "cron(0 12 32W * ? *)",
        "cron(0 12 0W * ? *)",
        "cron(0 12 ? * 8L *)",
        "cron(0 12 ? * SAT#6 *)",
        "cron(0 12 ? * SAT#0 *)",
        "cron(0 12 ? * 8#1 *)",
        "cron(0 12 L,1 * ? *)",
        "cron(0 12 ? * 6L,2 *)",
        "cron(0,,5 12 * * ? *)",
        "cron(0 12 * JAN ? *",
        "cron(0 12 * * ? *)x",
        "x" * 300,
    ],
)
def test_invalid(expression):
    refused(expression)


@pytest.mark.parametrize("expression", [None, 5, ["rate(1 minute)"]])
def test_wrong_types(expression):
    refused(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(*/5 * * * ? *)",
        "cron(0 0-23/6 * * ? *)",
        "cron(0 0 L * ? *)",
        "cron(0 0 LW * ? *)",
        "cron(0 0 15W * ? *)",
        "cron(0 0 ? * L *)",
        "cron(0 0 ? * FRIL *)",
        "cron(0 0 ? * 2#1 *)",
        "cron(0 0 ? * mon-fri *)",
        "cron(0 0 1 jan,jul ? *)",
        "cron(0 0 1 1-12/3 ? 2020-2030/2)",
        "cron(0 0 ? * SUN,SAT 2199)",
        "cron(0 0 1 1 ? 1970)",
    ],
)
def test_valid_forms(expression):
    parse_schedule(expression)


# ---- cron firing times ---------------------------------------------------------------------------

JAN_2024 = at(2024, 1, 1)  # a Monday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 10 * * ? *)", ["Mon 2024-01-01 10:00", "Tue 2024-01-02 10:00"]),
        ("cron(5,35 14 * * ? *)", ["Mon 2024-01-01 14:05", "Mon 2024-01-01 14:35", "Tue 2024-01-02 14:05"]),
        ("cron(0/15 * * * ? *)", ["Mon 2024-01-01 00:15", "Mon 2024-01-01 00:30", "Mon 2024-01-01 00:45"]),
        ("cron(0 18 ? * MON-FRI *)", ["Mon 2024-01-01 18:00", "Tue 2024-01-02 18:00"]),
        ("cron(0 2 ? * SAT *)", ["Sat 2024-01-06 02:00", "Sat 2024-01-13 02:00"]),
        ("cron(0 2 ? * 7 *)", ["Sat 2024-01-06 02:00", "Sat 2024-01-13 02:00"]),  # 7 is Saturday
        ("cron(0 2 ? * 1 *)", ["Sun 2024-01-07 02:00", "Sun 2024-01-14 02:00"]),  # 1 is Sunday
        ("cron(0 8 1 * ? *)", ["Mon 2024-01-01 08:00", "Thu 2024-02-01 08:00"]),
        ("cron(0 2 ? * SAT#3 *)", ["Sat 2024-01-20 02:00", "Sat 2024-02-17 02:00", "Sat 2024-03-16 02:00"]),
        ("cron(0 0 ? * 6#5 *)", ["Fri 2024-03-29 00:00", "Fri 2024-05-31 00:00"]),  # months with a 5th Friday
        ("cron(0 0 ? * 6L *)", ["Fri 2024-01-26 00:00", "Fri 2024-02-23 00:00"]),
        ("cron(0 0 ? * L *)", ["Sat 2024-01-27 00:00", "Sat 2024-02-24 00:00"]),
        ("cron(0 0 L * ? *)", ["Wed 2024-01-31 00:00", "Thu 2024-02-29 00:00", "Sun 2024-03-31 00:00"]),
        ("cron(0 0 L 2 ? *)", ["Thu 2024-02-29 00:00", "Fri 2025-02-28 00:00"]),
        ("cron(0 0 LW * ? *)", ["Wed 2024-01-31 00:00", "Thu 2024-02-29 00:00", "Fri 2024-03-29 00:00"]),
        # the 6th of Jan 2024 is a Saturday -> Friday the 5th; Apr 6th a Saturday -> the 5th;
        # the 1st of June 2024 is a Saturday -> Monday the 3rd (not back into May)
        ("cron(0 0 6W 1,4 ? *)", ["Fri 2024-01-05 00:00", "Fri 2024-04-05 00:00"]),
        ("cron(0 0 1W 6 ? 2024)", ["Mon 2024-06-03 00:00"]),
        # the 30th of June 2024 is a Sunday, the month's last day -> Friday the 28th
        ("cron(0 0 30W 6 ? 2024)", ["Fri 2024-06-28 00:00"]),
        ("cron(0 0 31W 2 ? *)", []),  # February has no 31st
        ("cron(0 0 31 2 ? *)", []),
        ("cron(15 10 ? * 6L 2002-2005)", []),  # all in the past
        ("cron(0 0 1 1 ? 2199)", ["Tue 2199-01-01 00:00"]),
        ("cron(0/5 5 ? JAN 1-5 2025)", ["Wed 2025-01-01 05:00", "Wed 2025-01-01 05:05"]),
    ],
)
def test_cron_firings(expression, expected):
    assert firings(expression, JAN_2024, len(expected)) == expected


def test_year_range_stops():
    assert firings("cron(15 10 ? * 6L 2002-2005)", at(2005, 12, 1), 3) == ["Fri 2005-12-30 10:15"]
    assert firings("cron(15 10 ? * 6L 2002-2005)", at(2001, 6, 1), 1) == ["Fri 2002-01-25 10:15"]
    assert parse_schedule("cron(0 0 * * ? *)").next_after(at(2199, 12, 31, 0, 0)) is None
    assert parse_schedule("cron(0 0 * * ? *)").next_after(at(2199, 12, 30, 23, 59)) == at(2199, 12, 31)


@pytest.mark.parametrize("t", [at(2300, 1, 1), 1e18, float("inf"), float("nan")])
def test_far_future_gives_none(t):
    assert parse_schedule("cron(* * * * ? *)").next_after(t) is None


def test_before_1970():
    assert parse_schedule("cron(0 0 1 1 ? *)").next_after(-1e12) == at(1970, 1, 1)


def test_strictly_after():
    schedule = parse_schedule("cron(0 10 * * ? *)")
    assert schedule.next_after(at(2024, 1, 1, 10)) == at(2024, 1, 2, 10)
    assert schedule.next_after(at(2024, 1, 1, 10) - 0.5) == at(2024, 1, 1, 10)
    assert schedule.next_after(at(2024, 1, 1, 10) - 0.001) == at(2024, 1, 1, 10)


def test_never_firing_expressions_end_quickly():
    started = time.monotonic()
    for expression in (
        "cron(0 0 31 2 ? *)",
        "cron(0 0 30 2 ? *)",
        "cron(0 0 31W 4 ? *)",
        "cron(0 0 ? 2 1#5 2023)",
    ):
        assert parse_schedule(expression).next_after(0.0) is None or expression.endswith("2023)")
    assert time.monotonic() - started < 5


def test_leap_day():
    assert firings("cron(0 0 29 2 ? *)", JAN_2024, 2) == ["Thu 2024-02-29 00:00", "Tue 2028-02-29 00:00"]


# ---- rate firing times ---------------------------------------------------------------------------


def test_rate_counts_from_the_anchor():
    schedule = parse_schedule("rate(5 minutes)")
    created = 1000.5
    assert schedule.next_after(created, anchor=created) == created + 300
    assert schedule.next_after(created + 299, anchor=created) == created + 300
    assert schedule.next_after(created + 300, anchor=created) == created + 600
    assert (
        schedule.next_after(created - 5000, anchor=created) == created + 300
    )  # never before the first period
    assert schedule.next_after(0.0) == 300.0  # without an anchor: from the epoch


def test_rate_ignores_anchor_for_cron():
    schedule = parse_schedule("cron(0 10 * * ? *)")
    assert schedule.next_after(JAN_2024, anchor=JAN_2024 + 123) == at(2024, 1, 1, 10)


@given(
    st.sampled_from(["rate(1 minute)", "rate(7 minutes)", "rate(3 hours)", "rate(2 days)"]),
    st.floats(0, 4e9, allow_nan=False),
    st.floats(0, 1e7, allow_nan=False),
    st.floats(0, 1e7, allow_nan=False),
)
def test_rate_properties(expression, anchor, offset, more):
    schedule = parse_schedule(expression)
    period = schedule.period
    first = schedule.next_after(anchor + offset, anchor=anchor)
    later = schedule.next_after(anchor + offset + more, anchor=anchor)
    assert first is not None and later is not None
    assert anchor + offset < first <= anchor + offset + period + 1e-6
    assert first <= later  # monotonic
    steps = (first - anchor) / period
    assert abs(steps - round(steps)) < 1e-6 and round(steps) >= 1  # on the anchor's grid
    assert schedule.next_after(first, anchor=anchor) == pytest.approx(first + period)


# ---- cron against an independent evaluator (croniter, for the forms it shares) -----------------

_minute = st.sampled_from(["*", "0", "15", "0/20", "5,35", "10-20/5", "*/7", "59"])
_hour = st.sampled_from(["*", "0", "23", "8-17", "0/6", "1,13"])
_dom = st.sampled_from(["*", "1", "15", "28-31", "1/10", "29", "31"])
_month = st.sampled_from(["*", "1", "2", "JAN,JUL", "3-5", "1/4", "DEC"])
_dow = st.sampled_from(["MON-FRI", "1", "7", "SUN,SAT", "2-4", "TUE"])


@settings(max_examples=150, deadline=None)
@given(_minute, _hour, _dom, _month, _dow, st.booleans(), st.integers(0, 3_000_000_000))
def test_cron_agrees_with_croniter(minute, hour, dom, month, dow, day_of_month, t):
    if day_of_month:
        expression, unix = f"cron({minute} {hour} {dom} {month} ? *)", f"{minute} {hour} {dom} {month} *"
    else:
        expression, unix = (
            f"cron({minute} {hour} ? {month} {dow} *)",
            f"{minute} {hour} * {month} {_unix_dow(dow)}",
        )
    try:
        expected = croniter(_unix_steps(unix), dt.datetime.fromtimestamp(t, UTC)).get_next(float)
    except CroniterBadDateError:  # a day that never comes (February 31st)
        expected = None
    if expected is not None and expected >= at(2200, 1, 1):
        expected = None
    assert parse_schedule(expression).next_after(float(t)) == expected


def _unix_dow(field: str) -> str:
    names = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}
    out = []
    for part in field.split(","):
        ends = [str(names[p]) if p in names else str(int(p) - 1) for p in part.split("-")]
        out.append("-".join(ends))
    return ",".join(out)


def _unix_steps(expression: str) -> str:
    """``a/n`` as ``a-max/n``, the form every croniter reads."""
    highs = ["59", "23", "31", "12", "6"]
    fields = []
    for field, high in zip(expression.split(" "), highs, strict=True):
        parts = []
        for part in field.split(","):
            if "/" in part and "-" not in part and not part.startswith("*"):
                start, step = part.split("/")
                part = f"{start}-{high}/{step}"
            parts.append(part)
        fields.append(",".join(parts))
    return " ".join(fields)
