"""The delivery engine: the one way any Cloudlet service retries work.

A delivery is a row written in the caller's transaction (so it exists exactly when the
request that started it was acknowledged): a *target* (a handler registered by name,
``"<service>.<what>"``, whose provider is loaded on demand), a JSON payload, a
:class:`Policy` (retries, maximum age, backoff, what happens at the end) and its attempt
history. Each attempt runs as its own task, so a slow target never holds up another;
deliveries that share an *order key* (a FIFO group, a shard) go one at a time in the order
they were made, and deliveries that share a *slot* (a function) run at most as many at a
time as the target's limit for it allows. Everything waits on the service clock, so a test
moves through a two-minute retry delay by advancing the clock.

An attempt succeeds when the handler returns; it fails when it raises. A
:class:`DeliveryFailure` says how: ``final`` (not retried: a 4xx), ``throttled`` (retried
without counting against the retries, within the maximum age), or a ``retry_after`` delay;
any other exception is a retryable failure. When a delivery gives up (retries exhausted,
maximum age exceeded, a final error) its payload goes to the policy's dead-letter queue
and its target's failure record to the on-failure destination, through the senders the
destination services register; a success record can go to an on-success destination.
A delivery is removed only after its attempt ended, so it is made at least once across
crashes: targets are idempotent or tolerate a repeat.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import logging
import random
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.background import BackgroundTask

if TYPE_CHECKING:
    from cloudlet.core.clock import Clock
    from cloudlet.store.db import Store

log = logging.getLogger("cloudlet.delivery")

MIGRATIONS = [
    """
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        target TEXT NOT NULL,
        payload TEXT NOT NULL,
        policy TEXT NOT NULL,
        order_key TEXT,
        slot TEXT,
        cancel_key TEXT,
        created REAL NOT NULL,
        due REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        retries INTEGER NOT NULL DEFAULT 0,
        history TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX deliveries_cancel_key ON deliveries (cancel_key)
    """
]

MAX_RUNNING = 512  # attempts in flight at once, across targets; the rest wait their turn
PUMP_BATCH = 8
KEEP_PAYLOAD = 4096  # payloads up to this size stay in memory between attempts (no read back)  # attempts started per turn of the event loop
HISTORY_KEPT = 25  # the last attempts kept with a delivery
SETTLE_STEPS = 64  # event-loop turns a clock step gives the attempts it started to finish
_MESSAGE_KEPT = 1024

# Why a delivery gave up (Outcome.reason).
RETRIES_EXHAUSTED = "RetriesExhausted"
AGE_EXCEEDED = "EventAgeExceeded"
NOT_RETRYABLE = "NotRetryable"


@dataclass(frozen=True)
class Backoff:
    """The wait before retry ``n`` (1-based): ``schedule[n-1]`` (the last repeats) when a
    schedule is given, else ``base * factor ** (n - 1)`` capped at ``cap``; then jitter:
    ``none``, ``full`` (uniform in [0, d]) or ``equal`` (d/2 plus uniform in [0, d/2])."""

    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0
    jitter: str = "none"
    schedule: tuple[float, ...] = ()

    def delay(self, retry: int, rand: Callable[[], float] = random.random) -> float:
        n = max(1, retry)
        if self.schedule:
            d = self.schedule[min(n, len(self.schedule)) - 1]
        else:
            d = min(self.cap, self.base * self.factor ** min(n - 1, 1000))
        if self.jitter == "full":
            return d * rand()
        if self.jitter == "equal":
            return d / 2 + d / 2 * rand()
        return d

    @classmethod
    def phased(
        cls,
        *,
        retries: int,
        min_delay: float,
        max_delay: float,
        no_delay: int = 0,
        at_min: int = 0,
        at_max: int = 0,
        function: str = "linear",
        jitter: str = "none",
    ) -> Backoff:
        """SNS's delivery-policy phases as a schedule: ``no_delay`` immediate retries, ``at_min``
        ``min_delay`` apart, a backoff phase rising from ``min_delay`` to ``max_delay`` (the
        rest of ``retries``) by ``function`` (linear, arithmetic, geometric or exponential),
        then ``at_max`` ``max_delay`` apart. The curves' exact shapes are not published (only
        a graph): these rise linearly, quadratically, cubically and by a constant ratio."""
        rising = max(0, retries - no_delay - at_min - at_max)
        curve = []
        for i in range(1, rising + 1):
            t = i / rising
            if function == "exponential" and min_delay > 0:
                curve.append(min_delay * (max_delay / min_delay) ** t)
            else:
                shape = {"arithmetic": t * t, "geometric": t * t * t}.get(function, t)
                curve.append(min_delay + (max_delay - min_delay) * shape)
        steps = [0.0] * no_delay + [min_delay] * at_min + [round(d, 3) for d in curve] + [max_delay] * at_max
        return cls(schedule=tuple(steps[:retries]) or (min_delay,), jitter=jitter)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v != getattr(_DEFAULT_BACKOFF, k)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Backoff:
        if "schedule" in data:
            data = {**data, "schedule": tuple(data["schedule"])}
        return cls(**data)


_DEFAULT_BACKOFF = Backoff()


@dataclass(frozen=True)
class Policy:
    """How a delivery is retried and where it goes when it gives up or succeeds.

    ``max_retries``: retries after the first attempt (None: no limit but the age);
    ``max_age``: seconds from the delivery's creation after which it is not attempted again
    (None: no limit); ``throttle_backoff``: the waits after throttled attempts (default:
    ``backoff``); ``dead_letter``: an ARN that receives the payload; ``on_failure`` /
    ``on_success``: ARNs that receive the target's failure / success record.
    """

    max_retries: int | None = None
    max_age: float | None = None
    backoff: Backoff = _DEFAULT_BACKOFF
    throttle_backoff: Backoff | None = None
    dead_letter: str | None = None
    on_failure: str | None = None
    on_success: str | None = None

    def to_json(self) -> str:
        data: dict[str, Any] = {}
        for name in ("max_retries", "max_age", "dead_letter", "on_failure", "on_success"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.backoff != _DEFAULT_BACKOFF:
            data["backoff"] = self.backoff.to_dict()
        if self.throttle_backoff is not None:
            data["throttle_backoff"] = self.throttle_backoff.to_dict()
        return orjson.dumps(data).decode()

    @staticmethod
    def from_json(text: str) -> Policy:
        return _parse_policy(text)

    @classmethod
    def from_dict(cls, data: Any) -> Policy:
        """A policy from its JSON form (as ``to_json`` writes it); ValueError says what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a policy is a JSON object")
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValueError(f"unknown policy fields: {', '.join(sorted(unknown))}")
        try:
            policy = _parse_policy(orjson.dumps(data).decode())
        except (TypeError, orjson.JSONDecodeError) as exc:
            raise ValueError(f"invalid policy: {exc}") from exc
        policy.check()
        return policy

    def check(self) -> None:
        """ValueError unless every field has a usable value."""
        if self.max_retries is not None and (
            isinstance(self.max_retries, bool)
            or not isinstance(self.max_retries, int)
            or self.max_retries < 0
        ):
            raise ValueError("max_retries is a whole number from 0")
        if self.max_age is not None and (
            isinstance(self.max_age, bool)
            or not isinstance(self.max_age, int | float)
            or not self.max_age > 0
        ):
            raise ValueError("max_age is a number of seconds above 0")
        for name in ("dead_letter", "on_failure", "on_success"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or value.count(":") < 5):
                raise ValueError(f"{name} is an ARN")
        for backoff in (self.backoff, self.throttle_backoff):
            if backoff is None:
                continue
            numbers = (backoff.base, backoff.factor, backoff.cap, *backoff.schedule)
            if any(isinstance(n, bool) or not isinstance(n, int | float) or n < 0 for n in numbers):
                raise ValueError("backoff times are numbers from 0")
            if backoff.jitter not in ("none", "full", "equal"):
                raise ValueError("backoff jitter is none, full or equal")


@lru_cache(maxsize=1024)
def _parse_policy(text: str) -> Policy:
    data = orjson.loads(text)
    for name in ("backoff", "throttle_backoff"):
        if name in data:
            data[name] = Backoff.from_dict(data[name])
    return Policy(**data)


class DeliveryFailure(Exception):
    """An attempt failed. ``final``: never retried; ``throttled``: retried without counting
    against the retries; ``retry_after``: the wait before the next attempt (else the policy's)."""

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        final: bool = False,
        throttled: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.final = final
        self.throttled = throttled
        self.retry_after = retry_after


@dataclass
class Attempt:
    """One attempt of a delivery, as its target sees it."""

    id: int
    target: str
    payload: Any
    created: float
    number: int  # 1 for the first attempt
    retries: int  # failed attempts counted so far
    history: list[dict[str, Any]]
    order_key: str | None = None
    slot: str | None = None


@dataclass
class Outcome:
    """Why a delivery gave up, and its last error."""

    reason: str  # RETRIES_EXHAUSTED, AGE_EXCEEDED or NOT_RETRYABLE
    code: str
    message: str
    attempts: int


@dataclass
class Outbound:
    """A message for a destination (a dead-letter queue, an on-failure destination).

    ``attributes`` are SQS-style message attributes (``{"Name": {"DataType": ...,
    "StringValue": ...}}``); ``extra`` carries sender-specific members (a FIFO group)."""

    body: str
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Attempt], Awaitable[Any] | Any]
Sender = Callable[[str, Outbound], None]


@dataclass
class Target:
    """A registered target: its handler and how its records are written.

    ``dead_letter``/``failure_record``/``success_record`` build the messages the policy's
    destinations receive (default: the payload as JSON, and no records); ``limit(slot)``
    is the most attempts of one slot in flight at once (None: no limit); ``observe(event,
    attempt)`` hears ``attempt``, ``success``, ``failure``, ``retry``, ``gave-up``,
    ``dead-lettered``, ``dead-letter-failed`` (the dead-letter queue refused it),
    ``destination-failed`` (an OnSuccess/OnFailure destination did) (for metrics)."""

    handler: Handler
    dead_letter: Callable[[Attempt, Outcome], Outbound] | None = None
    failure_record: Callable[[Attempt, Outcome], Outbound] | None = None
    success_record: Callable[[Attempt, Any], Outbound] | None = None
    limit: Callable[[str], int | None] | None = None
    observe: Callable[[str, Attempt], None] | None = None
    public: bool = False  # deliveries may be made through the admin API (diagnostics, tests)


class _Entry:
    """What the engine keeps in memory about a pending delivery (the row is the truth)."""

    __slots__ = ("cancelled", "due", "id", "order_key", "row", "slot", "target")

    def __init__(
        self, id: int, target: str, due: float, order_key: str | None, slot: str | None, row: Any = None
    ) -> None:
        self.id = id
        self.target = target
        self.due = due
        self.order_key = order_key
        self.slot = slot
        self.row = row  # the row's fields while fresh (saves a read on the first attempt)
        self.cancelled = False  # its row went while an attempt ran: no retry, nothing recorded


@dataclass(slots=True)
class _Row:
    """A delivery's stored fields (JSON kept as text)."""

    payload: str
    policy: str
    created: float
    attempts: int
    retries: int
    history: str


class DeliveryEngine:
    """Durable, retried, concurrent delivery of payloads to registered targets."""

    def __init__(self, clock: Clock, store: Store, resolve: Callable[[str], Any] | None = None) -> None:
        self.clock = clock
        self.store = store
        self.resolve = resolve
        store.migrate("delivery", MIGRATIONS)
        self.targets: dict[str, Target] = {}
        self.senders: dict[str, Sender] = {}
        self.stats: dict[str, Counter[str]] = {}
        self._entries: dict[int, _Entry] = {}
        self._heap: list[tuple[float, int]] = []
        self._orders: dict[str, deque[int]] = {}
        self._slots: Counter[str] = Counter()
        self._parked: dict[str, deque[_Entry]] = {}  # slot -> due entries waiting for room
        self._waiting: deque[_Entry] = deque()  # due entries waiting for MAX_RUNNING room
        self._orphans: dict[str, list[_Entry]] = {}  # target -> entries nobody handles yet
        self._running: dict[int, asyncio.Task[None]] = {}
        self._pump_soon = False
        self._stopped = False
        # Attempts' outcomes (a retry's new due time, a finished delivery's removal), written
        # together in one transaction per turn of the event loop (see _write).
        self._writes: list[tuple[str, tuple[Any, ...]]] = []
        self._flush_soon = False
        self._wakeup = asyncio.Event()
        self._background = BackgroundTask(self._loop)
        self._load()
        clock.add_source(self)

    # -- registration --
    def register(self, name: str, target: Target | Handler) -> None:
        """Handle deliveries to ``name`` (``"<service>.<what>"``) with ``target``."""
        self.targets[name] = target if isinstance(target, Target) else Target(handler=target)
        orphans = self._orphans.pop(name, None)
        if orphans:
            for entry in orphans:
                if self._entries.get(entry.id) is entry:
                    heapq.heappush(self._heap, (entry.due, entry.id))
            self._kick()

    def unregister(self, name: str) -> None:
        self.targets.pop(name, None)

    def is_public(self, name: str) -> bool:
        """Whether ``name`` is a target that takes deliveries made through the admin API."""
        target = self._target(name)
        return target is not None and target.public

    def register_sender(self, service: str, sender: Sender) -> None:
        """Let deliveries give up to (or record into) ARNs of ``service`` (``sqs``, ``sns``, ...)."""
        self.senders[service] = sender

    def send_to(self, arn: str, message: Outbound) -> None:
        """Send ``message`` to the destination ``arn`` through its service's sender (inside the
        caller's transaction when there is one); raises when there is no such destination."""
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        sender = self.senders.get(service)
        if sender is None and self.resolve is not None and service:
            self.resolve(service)
            sender = self.senders.get(service)
        if sender is None:
            raise LookupError(f"no destination service for {arn}")
        sender(arn, message)

    # -- making deliveries --
    def enqueue(
        self,
        target: str,
        payload: Any,
        policy: Policy | None = None,
        *,
        due: float | None = None,
        created: float | None = None,
        order_key: str | None = None,
        slot: str | None = None,
        cancel_key: str | None = None,
    ) -> int:
        """Persist a delivery (inside the caller's transaction when there is one); returns its id.

        ``due``: the first attempt not before (default now); ``created``: when the event
        happened (the maximum age counts from it; default now)."""
        now = self.clock.now()
        data = orjson.dumps(payload).decode()
        policy_text = (policy or _DEFAULT_POLICY).to_json()
        created = now if created is None else created
        due = now if due is None else due
        cur = self.store.execute(
            "INSERT INTO deliveries (target, payload, policy, order_key, slot, cancel_key, created, due) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (target, data, policy_text, order_key, slot, cancel_key, created, due),
        )
        delivery_id = int(cur.lastrowid or 0)
        entry = _Entry(
            delivery_id, target, due, order_key, slot, _Row(data, policy_text, created, 0, 0, "[]")
        )
        self.store.after_commit(lambda: self._admit(entry))
        self._count(target, "enqueued")
        return delivery_id

    def deliver_or_enqueue(
        self,
        first_attempt: Callable[[], object],
        target: str,
        payload: Any,
        policy: Policy | None = None,
        **options: Any,
    ) -> int | None:
        """Make a delivery's first attempt at once, when its target is in process and cheap
        (a queue: ``first_attempt`` runs inside the caller's transaction); when that attempt
        raises (a DeliveryFailure, as a handler would), the delivery is enqueued as :meth:`enqueue` would (its retries, dead-letter
        queue and records then run in the engine). None when the first attempt went."""
        try:
            first_attempt()
        except DeliveryFailure:
            return self.enqueue(target, payload, policy, **options)
        except Exception:
            log.exception("the first attempt of a delivery to %s failed; the engine retries it", target)
            return self.enqueue(target, payload, policy, **options)
        self._count(target, "delivered-at-once")
        return None

    def cancel(self, cancel_key: str) -> int:
        """Remove the pending deliveries made with ``cancel_key``; how many there were.

        An attempt already running finishes, but is not retried."""
        return self._remove("cancel_key = ?", cancel_key)

    def discard(self, target: str) -> int:
        """Remove every pending delivery to ``target`` (its resource is gone); how many.

        Attempts already running finish, but are not retried."""
        return self._remove("target = ?", target)

    def _remove(self, condition: str, value: str) -> int:
        self.flush()
        rows = self.store.all(f"DELETE FROM deliveries WHERE {condition} RETURNING id", (value,))
        for row in rows:
            entry = self._entries.get(row[0])
            if entry is None:
                continue
            if entry.id in self._running:
                entry.cancelled = True
            else:
                self.store.after_commit(lambda entry=entry: self._finish(entry))
        return len(rows)

    def pending(self, target: str | None = None) -> int:
        self.flush()
        if target is None:
            row = self.store.one("SELECT COUNT(*) FROM deliveries")
        else:
            row = self.store.one("SELECT COUNT(*) FROM deliveries WHERE target = ?", (target,))
        return int(row[0]) if row else 0

    def running(self) -> int:
        return len(self._running)

    def report(self) -> dict[str, Any]:
        """Per target: pending deliveries, attempts in flight, and counters."""
        self.flush()
        rows = self.store.all("SELECT target, COUNT(*) FROM deliveries GROUP BY target")
        pending = {r[0]: int(r[1]) for r in rows}
        running = Counter(self._entries[i].target for i in self._running if i in self._entries)
        names = sorted(set(pending) | set(self.stats) | set(running))
        return {
            name: {
                "pending": pending.get(name, 0),
                "running": running.get(name, 0),
                **dict(self.stats.get(name, {})),
            }
            for name in names
        }

    # -- the clock's view --
    def next_due(self) -> float | None:
        heap = self._heap
        while heap:
            due, delivery_id = heap[0]
            entry = self._entries.get(delivery_id)
            if entry is not None and entry.due == due and delivery_id not in self._running:
                return due
            heapq.heappop(heap)
        return None

    def describe_due(self) -> str:
        """What is at the head of the queue of due work (for a stall's log line)."""
        self.next_due()
        if not self._heap:
            return "nothing due"
        due, delivery_id = self._heap[0]
        entry = self._entries[delivery_id]
        return (
            f"delivery {delivery_id} to {entry.target} due {due:.6f}, now {self.clock.now():.6f}, "
            f"order key {entry.order_key}, slot {entry.slot}, running {len(self._running)}, "
            f"waiting {len(self._waiting)}, target known {entry.target in self.targets}"
        )

    async def run_due(self) -> int:
        """Start every attempt that is due, then give the attempts in flight a few turns of
        the event loop to finish (attempts that wait on real work go on after); how many
        attempts were started (including the next of an order key whose head finished)."""
        started = len(self._pump())
        for _ in range(SETTLE_STEPS):
            if all(t.done() for t in self._running.values()) and not self._pump_soon:
                break
            await asyncio.sleep(0)
            started += len(self._pump())
        return started

    # -- internals: admission and dispatch --
    def _load(self) -> None:
        rows = self.store.all("SELECT id, target, due, order_key, slot FROM deliveries ORDER BY id")
        for row in rows:
            self._admit(_Entry(row[0], row[1], row[2], row[3], row[4]), kick=False)

    def _admit(self, entry: _Entry, kick: bool = True) -> None:
        self._entries[entry.id] = entry
        if entry.order_key is not None:
            queue = self._orders.setdefault(entry.order_key, deque())
            queue.append(entry.id)
            if len(queue) > 1:
                return  # waits behind the head of its key
        heapq.heappush(self._heap, (entry.due, entry.id))
        if kick:
            self._kick(entry.due)

    def _kick(self, due: float | None = None) -> None:
        """Something may be due: start it soon (at once if due now, else wake the loop)."""
        if (due is None or due <= self.clock.now()) and not self._pump_soon:
            self._pump_soon = True
            try:
                asyncio.get_running_loop().call_soon(self._pump)
            except RuntimeError:
                self._pump_soon = False  # no loop: the next run_due or start() pumps
        self._wakeup.set()

    def _pump(self) -> list[asyncio.Task[None]]:
        """Start the attempts that are due and have room; the tasks started."""
        self._pump_soon = False
        if self._stopped:
            return []
        now = self.clock.now()
        started: list[asyncio.Task[None]] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            if len(started) >= PUMP_BATCH:  # the rest on the next turn: the loop stays responsive
                self._kick()
                break
            due, delivery_id = heapq.heappop(heap)
            entry = self._entries.get(delivery_id)
            if entry is None or entry.due != due or delivery_id in self._running:
                continue  # stale: cancelled, finished or rescheduled
            task = self._start(entry)
            if task is not None:
                started.append(task)
        return started

    def _start(self, entry: _Entry) -> asyncio.Task[None] | None:
        """Start an attempt of ``entry``, or park it until its target, slot or the engine has room."""
        target = self._target(entry.target)
        if target is None:
            self._orphans.setdefault(entry.target, []).append(entry)
            return None
        if entry.slot is not None and not self._room_in_slot(entry.slot, target):
            self._parked.setdefault(entry.slot, deque()).append(entry)
            return None
        if len(self._running) >= MAX_RUNNING:
            self._waiting.append(entry)
            return None
        if entry.slot is not None:
            self._slots[entry.slot] += 1
        task = asyncio.get_running_loop().create_task(self._attempt(entry, target, self.clock.now()))
        self._running[entry.id] = task
        return task

    def _room_in_slot(self, slot: str, target: Target) -> bool:
        limit = target.limit(slot) if target.limit is not None else None
        return limit is None or self._slots[slot] < limit

    def _target(self, name: str) -> Target | None:
        target = self.targets.get(name)
        if target is None and self.resolve is not None:
            try:
                self.resolve(name.split(".", 1)[0])
            except Exception:
                log.exception("loading the service of delivery target %s failed", name)
            target = self.targets.get(name)
        return target

    def _released(self, entry: _Entry) -> None:
        """An attempt ended: free its room and start what was waiting for it."""
        self._running.pop(entry.id, None)
        slot = entry.slot
        if slot is not None:
            self._slots[slot] -= 1
            if self._slots[slot] <= 0:
                del self._slots[slot]
            parked = self._parked.get(slot)
            while parked:
                waiting = parked[0]
                target = self.targets.get(waiting.target)
                if self._entries.get(waiting.id) is not waiting or target is None:
                    parked.popleft()
                    continue
                if not self._room_in_slot(slot, target) or len(self._running) >= MAX_RUNNING:
                    break
                parked.popleft()
                self._start(waiting)
            if not parked:
                self._parked.pop(slot, None)
        while self._waiting and len(self._running) < MAX_RUNNING:
            waiting = self._waiting.popleft()
            if self._entries.get(waiting.id) is waiting:
                self._start(waiting)

    def _finish(self, entry: _Entry) -> None:
        """The delivery is gone (done, given up or cancelled): the next of its key may go."""
        if self._entries.get(entry.id) is entry:
            del self._entries[entry.id]
        key = entry.order_key
        if key is None:
            return
        queue = self._orders.get(key)
        if not queue:
            return
        if queue[0] != entry.id:
            try:
                queue.remove(entry.id)
            except ValueError:
                pass
            return
        queue.popleft()
        while queue:
            nxt = self._entries.get(queue[0])
            if nxt is not None:
                heapq.heappush(self._heap, (nxt.due, nxt.id))
                self._kick(nxt.due)
                return
            queue.popleft()
        del self._orders[key]

    # -- internals: one attempt --
    async def _attempt(self, entry: _Entry, target: Target, started: float) -> None:
        """One attempt, started at clock time ``started`` (its age is judged then, even if the
        clock moved on before the task first ran)."""
        finished = True
        try:
            row = entry.row or self._read(entry.id)
            entry.row = None
            if row is None:
                return  # cancelled
            policy = _parse_policy(row.policy)
            attempt = Attempt(
                id=entry.id,
                target=entry.target,
                payload=orjson.loads(row.payload),
                created=row.created,
                number=row.attempts + 1,
                retries=row.retries,
                history=orjson.loads(row.history),
                order_key=entry.order_key,
                slot=entry.slot,
            )
            if policy.max_age is not None and started - row.created > policy.max_age:
                last = attempt.history[-1] if attempt.history else {}
                outcome = Outcome(AGE_EXCEEDED, last.get("code", ""), last.get("message", ""), row.attempts)
                self._give_up(entry, target, attempt, policy, outcome)
                return
            self._observe(target, "attempt", attempt)
            try:
                result = target.handler(attempt)
                if inspect.isawaitable(result):
                    result = await result
            except DeliveryFailure as failure:
                finished = self._failed(entry, target, attempt, policy, failure, row)
            except Exception as exc:
                log.debug("delivery %s to %s failed", entry.id, entry.target, exc_info=True)
                failure = DeliveryFailure(type(exc).__name__, str(exc))
                finished = self._failed(entry, target, attempt, policy, failure, row)
            else:
                self._succeeded(entry, target, attempt, policy, result)
        except asyncio.CancelledError:
            finished = False  # the engine stopped: the row stays and is attempted after a restart
            raise
        except Exception:
            log.exception("delivery %s to %s could not be recorded", entry.id, entry.target)
            finished = False
            entry.due = self.clock.now() + 1.0
            heapq.heappush(self._heap, (entry.due, entry.id))
        finally:
            self._released(entry)
            if finished:
                self._finish(entry)
            elif entry.id in self._entries:
                self._wakeup.set()

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        """Record an attempt's outcome with the others of this turn, in one transaction (a
        crash before it only repeats the attempt: at least once)."""
        self._writes.append((sql, params))
        if not self._flush_soon:
            self._flush_soon = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Write the outcomes recorded so far."""
        self._flush_soon = False
        if not self._writes:
            return
        writes, self._writes = self._writes, []
        with self.store.transaction():
            for sql, params in writes:
                self.store.execute(sql, params)

    def _read(self, delivery_id: int) -> _Row | None:
        row = self.store.one(
            "SELECT payload, policy, created, attempts, retries, history FROM deliveries WHERE id = ?",
            (delivery_id,),
        )
        return None if row is None else _Row(row[0], row[1], row[2], row[3], row[4], row[5])

    def _succeeded(
        self, entry: _Entry, target: Target, attempt: Attempt, policy: Policy, result: Any
    ) -> None:
        if policy.on_success is not None and target.success_record is not None:
            with self.store.transaction():
                self.store.execute("DELETE FROM deliveries WHERE id = ?", (entry.id,))
                self._send(target, attempt, policy.on_success, lambda: target.success_record(attempt, result))  # type: ignore[misc]
        else:
            self._write("DELETE FROM deliveries WHERE id = ?", (entry.id,))
        self._observe(target, "success", attempt)

    def _failed(
        self,
        entry: _Entry,
        target: Target,
        attempt: Attempt,
        policy: Policy,
        failure: DeliveryFailure,
        row: _Row | None = None,
    ) -> bool:
        """Record a failed attempt: schedule the retry, or give up. True when it gave up."""
        self._observe(target, "failure", attempt)
        now = self.clock.now()
        retries = attempt.retries + (0 if failure.throttled else 1)
        history = [
            *attempt.history,
            {"at": now, "code": failure.code, "message": failure.message[:_MESSAGE_KEPT]},
        ]
        attempt.history = history[-HISTORY_KEPT:]
        attempt.retries = retries
        if failure.final:
            reason = NOT_RETRYABLE
        elif policy.max_retries is not None and retries > policy.max_retries:
            reason = RETRIES_EXHAUSTED
        else:
            if failure.retry_after is not None:
                delay = failure.retry_after
            elif failure.throttled:  # backs off over every attempt so far, none counted as a retry
                delay = (policy.throttle_backoff or policy.backoff).delay(attempt.number)
            else:
                delay = policy.backoff.delay(retries)
            due = now + max(0.0, delay)
            if entry.cancelled:
                return True
            history_text = orjson.dumps(attempt.history).decode()
            self._write(
                "UPDATE deliveries SET attempts = ?, retries = ?, due = ?, history = ? WHERE id = ?",
                (attempt.number, retries, due, history_text, entry.id),
            )
            if row is not None and len(row.payload) <= KEEP_PAYLOAD:  # the next attempt reads nothing
                entry.row = _Row(row.payload, row.policy, row.created, attempt.number, retries, history_text)
            entry.due = due
            heapq.heappush(self._heap, (due, entry.id))
            self._observe(target, "retry", attempt)
            return False
        outcome = Outcome(reason, failure.code, failure.message, attempt.number)
        self._give_up(entry, target, attempt, policy, outcome)
        return True

    def _give_up(
        self, entry: _Entry, target: Target, attempt: Attempt, policy: Policy, outcome: Outcome
    ) -> None:
        if entry.cancelled:
            return
        with self.store.transaction():
            self.store.execute("DELETE FROM deliveries WHERE id = ?", (entry.id,))
            if policy.dead_letter is not None:
                build = (
                    (lambda: target.dead_letter(attempt, outcome))
                    if target.dead_letter
                    else (lambda: Outbound(_as_body(attempt.payload)))
                )
                if self._send(target, attempt, policy.dead_letter, build, "dead-letter-failed"):
                    self._observe(target, "dead-lettered", attempt)
            if policy.on_failure is not None and target.failure_record is not None:
                self._send(
                    target, attempt, policy.on_failure, lambda: target.failure_record(attempt, outcome)
                )  # type: ignore[misc]
        self._observe(target, "gave-up", attempt)
        self._count(entry.target, outcome.reason)
        if policy.dead_letter is None and policy.on_failure is None:
            log.warning(
                "delivery %s to %s gave up after %d attempt(s) (%s): %s %s",
                entry.id,
                entry.target,
                outcome.attempts,
                outcome.reason,
                outcome.code,
                outcome.message[:200],
            )

    def _send(
        self,
        target: Target,
        attempt: Attempt,
        arn: str,
        build: Callable[[], Outbound],
        failed: str = "destination-failed",
    ) -> bool:
        """Send a record to the destination ``arn``; False (and observed as ``failed``) when
        that fails."""
        try:
            self.send_to(arn, build())
            return True
        except Exception as exc:
            log.warning("delivery %s could not be sent to %s: %s", attempt.id, arn, exc)
            self._observe(target, failed, attempt)
            return False

    def _observe(self, target: Target, event: str, attempt: Attempt) -> None:
        self._count(attempt.target, event)
        if target.observe is not None:
            try:
                target.observe(event, attempt)
            except Exception:
                log.exception("metrics of %s failed", attempt.target)

    def _count(self, target: str, event: str) -> None:
        counter = self.stats.get(target)
        if counter is None:
            counter = self.stats[target] = Counter()
        counter[event] += 1

    # -- lifecycle --
    async def _loop(self) -> None:
        while True:
            self._wakeup.clear()
            self._pump()
            await self.clock.wait(self._wakeup, self.next_due())

    def start(self) -> None:
        self._stopped = False
        self._background.start()
        self._kick()

    async def stop(self) -> None:
        """Stop starting attempts and cancel those in flight (their rows stay: at least once)."""
        self._stopped = True
        await self._background.stop()
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.flush()

    def clear(self) -> None:
        """Forget every delivery (the store was wiped); attempts in flight are cancelled."""
        for task in self._running.values():
            task.cancel()
        self._writes.clear()
        self._entries.clear()
        self._heap.clear()
        self._orders.clear()
        self._parked.clear()
        self._waiting.clear()
        self._orphans.clear()
        self.stats.clear()


def _as_body(payload: Any) -> str:
    return payload if isinstance(payload, str) else orjson.dumps(payload).decode()


_DEFAULT_POLICY = Policy()
