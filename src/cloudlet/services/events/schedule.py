"""A rule's ScheduleExpression: ``rate(value unit)`` or AWS's six-field ``cron(...)``.

``cron(minutes hours day-of-month month day-of-week year)``, all in UTC:

* minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7
  (1 is Sunday) or SUN-SAT, year 1970-2199;
* ``*``, ``a``, ``a-b``, ``a/n``, ``*/n``, ``a-b/n`` and comma lists of them;
* day-of-month also ``L`` (last day), ``LW`` (last weekday), ``nW`` (the weekday nearest day
  n, within the month); day-of-week also ``L`` (Saturday), ``nL`` (the month's last day n)
  and ``n#k`` (the month's k-th day n);
* one of day-of-month and day-of-week is ``?`` (and only one).

The evaluator is written here (not croniter) because AWS's fields differ from Unix cron's:
Sunday is 1, the year field, ``?``, ``L``, ``W`` and ``#``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from cloudlet.protocol.errors import ServiceError

MIN_YEAR = 1970
MAX_YEAR = 2199
MAX_EXPRESSION_CHARS = 256

_START = dt.datetime(MIN_YEAR - 1, 1, 1, tzinfo=dt.UTC).timestamp()
_END = dt.datetime(MAX_YEAR + 1, 1, 1, tzinfo=dt.UTC).timestamp()
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((.*)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    name: n
    for n, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_STEP = re.compile(r"(\*|\d+|[A-Z]{3})(?:-(\d+|[A-Z]{3}))?(?:/(\d+))?")


def invalid() -> ServiceError:
    """AWS's answer to any malformed ScheduleExpression (recorded)."""
    return ServiceError("ValidationException", "Parameter ScheduleExpression is not valid.", 400)


@dataclass(frozen=True)
class DayOfMonth:
    """The day-of-month field: plain days, or AWS's ``L`` / ``LW`` / ``nW``."""

    days: frozenset[int] = frozenset()
    last: bool = False
    last_weekday: bool = False
    nearest_weekday: int | None = None
    any: bool = False  # "?"

    def days_in(self, year: int, month: int) -> set[int]:
        length = calendar.monthrange(year, month)[1]
        if self.any:
            return set(range(1, length + 1))
        if self.last:
            return {length}
        if self.last_weekday:
            return {_nearest_weekday(year, month, length, length)}
        if self.nearest_weekday is not None:
            if self.nearest_weekday > length:
                return set()
            return {_nearest_weekday(year, month, self.nearest_weekday, length)}
        return {d for d in self.days if d <= length}


@dataclass(frozen=True)
class DayOfWeek:
    """The day-of-week field (1 is Sunday): plain days, ``nL`` or ``n#k``."""

    days: frozenset[int] = frozenset()
    last_of: int | None = None
    nth: tuple[int, int] | None = None  # (day, k)
    any: bool = False  # "?"

    def days_in(self, year: int, month: int) -> set[int]:
        length = calendar.monthrange(year, month)[1]
        first = _aws_weekday(dt.date(year, month, 1))
        if self.any:
            return set(range(1, length + 1))
        if self.last_of is not None:
            last = _aws_weekday(dt.date(year, month, length))
            return {length - (last - self.last_of) % 7}
        if self.nth is not None:
            day, k = self.nth
            date = 1 + (day - first) % 7 + 7 * (k - 1)
            return {date} if date <= length else set()
        return {d for d in range(1, length + 1) if (first - 1 + d - 1) % 7 + 1 in self.days}


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: DayOfMonth
    months: frozenset[int]
    day_of_week: DayOfWeek
    years: frozenset[int]

    def next_after(self, t: float) -> float | None:
        """The first whole minute strictly after ``t`` the expression names, or None."""
        if t != t or t >= _END:  # NaN, or past the last year AWS accepts
            return None
        start = dt.datetime.fromtimestamp(max(t, _START), dt.UTC).replace(second=0, microsecond=0)
        start += dt.timedelta(minutes=1)
        for year in sorted(y for y in self.years if y >= start.year):
            for month in sorted(self.months):
                if (year, month) < (start.year, start.month):
                    continue
                days = self.day_of_month.days_in(year, month) & self.day_of_week.days_in(year, month)
                for day in sorted(days):
                    date = (year, month, day)
                    if date < (start.year, start.month, start.day):
                        continue
                    same_day = date == (start.year, start.month, start.day)
                    for hour in sorted(self.hours):
                        if same_day and hour < start.hour:
                            continue
                        same_hour = same_day and hour == start.hour
                        for minute in sorted(self.minutes):
                            if same_hour and minute < start.minute:
                                continue
                            return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC).timestamp()
        return None


@dataclass(frozen=True)
class Schedule:
    """A parsed ScheduleExpression: ``period`` seconds for rate(), ``cron`` for cron()."""

    expression: str
    period: int | None = None
    cron: Cron | None = field(default=None, repr=False)

    def next_after(self, t: float, *, anchor: float | None = None) -> float | None:
        """The next firing time (epoch seconds, UTC) strictly after ``t``; None when none is left.

        A rate schedule fires every ``period`` seconds counted from ``anchor`` (the rule's
        creation: AWS starts a rate schedule when the rule is created; the first firing is one
        period later; unverified to the second), at ``anchor + k * period`` for k >= 1; with no
        anchor it counts from the epoch. A cron schedule ignores ``anchor``.
        """
        if self.period is not None:
            base = 0.0 if anchor is None else anchor
            k = max(1, int((t - base) // self.period) + 1)
            due = base + k * self.period
            while due <= t:  # float rounding
                k += 1
                due = base + k * self.period
            return due
        assert self.cron is not None
        return self.cron.next_after(t)


def parse_schedule(expression: str) -> Schedule:
    """The Schedule of a ScheduleExpression; AWS's ValidationException when it is malformed."""
    if not isinstance(expression, str) or len(expression) > MAX_EXPRESSION_CHARS:
        raise invalid()
    rate = _RATE.fullmatch(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        singular = not unit.endswith("s")
        if value < 1 or singular != (value == 1):
            raise invalid()
        return Schedule(expression, period=value * _UNIT_SECONDS[unit.rstrip("s")])
    cron = _CRON.fullmatch(expression)
    if cron:
        return Schedule(expression, cron=_parse_cron(cron.group(1)))
    raise invalid()


def _parse_cron(text: str) -> Cron:
    fields = text.split(" ")
    if len(fields) != 6 or any(not f for f in fields):
        raise invalid()
    minutes, hours, dom, months, dow, years = (f.upper() for f in fields)
    if (dom == "?") == (dow == "?"):
        raise invalid()  # recorded: cron(0 1 * * * *) is refused
    return Cron(
        minutes=_values(minutes, 0, 59),
        hours=_values(hours, 0, 23),
        day_of_month=_day_of_month(dom),
        months=_values(months, 1, 12, _MONTHS),
        day_of_week=_day_of_week(dow),
        years=_values(years, MIN_YEAR, MAX_YEAR),
    )


def _number(token: str, names: dict[str, int] | None) -> int:
    if token.isdigit():
        return int(token)
    if names and token in names:
        return names[token]
    raise invalid()


def _values(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """A field of ``*``, numbers, names, ranges and steps, comma-separated."""
    result: set[int] = set()
    for part in text.split(","):
        match = _STEP.fullmatch(part)
        if not match:
            raise invalid()
        first, last, step = match.groups()
        if first == "*":
            if last is not None:
                raise invalid()
            start, end = low, high
        else:
            start = _number(first, names)
            end = _number(last, names) if last is not None else (high if step is not None else start)
        increment = int(step) if step is not None else 1
        # unverified: AWS's handling of wrapping ranges (e.g. FRI-MON); refused here
        if not (low <= start <= high and low <= end <= high) or start > end or increment < 1:
            raise invalid()
        result.update(range(start, end + 1, increment))
    return frozenset(result)


def _day_of_month(text: str) -> DayOfMonth:
    if text == "?":
        return DayOfMonth(any=True)
    if text == "L":
        return DayOfMonth(last=True)
    if text == "LW":
        return DayOfMonth(last_weekday=True)
    weekday = re.fullmatch(r"(\d+)W", text)
    if weekday:
        day = int(weekday.group(1))
        if not 1 <= day <= 31:
            raise invalid()
        return DayOfMonth(nearest_weekday=day)
    return DayOfMonth(days=_values(text, 1, 31))


def _day_of_week(text: str) -> DayOfWeek:
    if text == "?":
        return DayOfWeek(any=True)
    if text == "L":
        return DayOfWeek(last_of=7)  # unverified: a bare L is the week's last day, Saturday
    last = re.fullmatch(r"(\d+|[A-Z]{3})L", text)
    if last:
        day = _number(last.group(1), _DAYS)
        if not 1 <= day <= 7:
            raise invalid()
        return DayOfWeek(last_of=day)
    nth = re.fullmatch(r"(\d+|[A-Z]{3})#(\d+)", text)
    if nth:
        day, k = _number(nth.group(1), _DAYS), int(nth.group(2))
        if not 1 <= day <= 7 or not 1 <= k <= 5:
            raise invalid()
        return DayOfWeek(nth=(day, k))
    return DayOfWeek(days=_values(text, 1, 7, _DAYS))


def _aws_weekday(date: dt.date) -> int:
    """1 (Sunday) to 7 (Saturday)."""
    return date.isoweekday() % 7 + 1


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int:
    """The Monday-to-Friday day nearest ``day``, not leaving the month."""
    weekday = _aws_weekday(dt.date(year, month, day))
    if weekday == 7:  # Saturday: the Friday before, or the Monday after the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 1:  # Sunday: the Monday after, or the Friday before the month's last day
        return day + 1 if day < length else day - 2
    return day
