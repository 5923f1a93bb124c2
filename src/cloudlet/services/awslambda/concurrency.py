"""Concurrency: how many invocations run at once, per account (and Region) and per function,
and which ones are throttled.

AWS's model: an account has a concurrency limit per Region (1,000 by default); a function
with reserved concurrency R runs at most R invocations at once and takes R out of the
account's pool; provisioned concurrency on a version or alias is pre-started capacity out
of the function's reserved concurrency (or of the unreserved pool). An invocation of a
qualifier with provisioned concurrency runs on it while some is free, and spills over to
on-demand capacity otherwise. Every invocation takes a :class:`Slot` here before it gets an
environment and gives it back when done.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from cloudlet.protocol.errors import ServiceError

ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"
FUNCTION_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
MIN_UNRESERVED = 100


def min_unreserved(account_limit: int) -> int:
    """The unreserved concurrency reservations must leave: AWS's 100, or a tenth of a
    smaller account limit configured locally (so a small limit can still be reserved)."""
    return min(MIN_UNRESERVED, account_limit // 10)


def throttled(reason: str) -> ServiceError:
    """AWS's answer to a throttled invocation (recorded: "Rate Exceeded.", 429)."""
    return ServiceError(
        "TooManyRequestsException", "Rate Exceeded.", 429, fields={"Reason": reason, "Type": "User"}
    )


@dataclass(frozen=True)
class Limits:
    """What bounds one function's invocations (read from its settings, cached by the provider).

    ``reserved``: its reserved concurrency (None: it draws on the unreserved pool);
    ``provisioned``: qualifier -> provisioned concurrency; ``pool``: the account's unreserved
    concurrency left for on-demand invocations of unreserved functions."""

    reserved: int | None
    provisioned: dict[str, int] = field(default_factory=dict)
    pool: int = 0

    @property
    def provisioned_total(self) -> int:
        return sum(self.provisioned.values())


@dataclass
class Slot:
    """One running invocation's share of concurrency."""

    region: tuple[str, str]
    function: str
    provisioned: str | None  # the qualifier whose provisioned concurrency it runs on
    reserved: bool


class Concurrency:
    """Invocations in flight, and the checks that admit or throttle new ones."""

    def __init__(self, account_limit: int) -> None:
        self.account_limit = account_limit
        self.by_region: Counter[tuple[str, str]] = Counter()  # every running invocation
        self.unreserved: Counter[tuple[str, str]] = Counter()  # on-demand, unreserved functions
        self.by_function: Counter[str] = Counter()  # every running invocation of a function
        self.on_demand: Counter[str] = Counter()  # not on provisioned concurrency
        self.provisioned: Counter[tuple[str, str]] = Counter()  # (function, qualifier)

    def admit(self, account: str, region: str, function: str, qualifier: str | None, limits: Limits) -> Slot:
        """A slot for one invocation of ``function`` through ``qualifier``, or AWS's throttle."""
        where = (account, region)
        if self.by_region[where] >= self.account_limit:
            raise throttled(ACCOUNT_LIMIT)
        provisioned = None
        wanted = limits.provisioned.get(qualifier or "", 0)
        if wanted and self.provisioned[(function, qualifier or "")] < wanted:
            provisioned = qualifier or ""
        elif limits.reserved is not None:
            if self.on_demand[function] >= limits.reserved - limits.provisioned_total:
                raise throttled(FUNCTION_LIMIT)
        elif self.unreserved[where] >= limits.pool:
            raise throttled(ACCOUNT_LIMIT)
        slot = Slot(where, function, provisioned, limits.reserved is not None)
        self._count(slot, 1)
        return slot

    def release(self, slot: Slot) -> None:
        self._count(slot, -1)

    def _count(self, slot: Slot, step: int) -> None:
        self.by_region[slot.region] += step
        self.by_function[slot.function] += step
        if slot.provisioned is not None:
            self.provisioned[(slot.function, slot.provisioned)] += step
            return
        self.on_demand[slot.function] += step
        if not slot.reserved:
            self.unreserved[slot.region] += step
