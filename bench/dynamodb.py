"""DynamoDB workloads over the JSON protocol (`X-Amz-Target: DynamoDB_20120810.<Op>`), sent raw.

`ddb_put` measures PutItem of distinct ~200-byte items, `ddb_get` GetItem of existing items,
`ddb_update_cond` a conditional counter increment (UpdateItem), `ddb_query` a Query with Limit 25 in a
100-item partition. `ddb_put_sat`, `ddb_get_sat` and `ddb_update_cond_sat` run the steps of the first
three (`Puts.run`, `Gets.run`, `Updates.run`) from several client processes at once (saturate.py),
each client on its own keys. Each workload creates its own PAY_PER_REQUEST table, waits until it is
ACTIVE and uses the TableName the server returns. Requests are built once (a ring of payloads, or for PutItem a
fixed-width key spliced into one pre-built request), so the client spends little per call. Only 200
answers that carry what they should count; the others are `errors`.

`DdbClient` and `batch_write` are shared with dynamodb_scale.py.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from saturate import Client, sat_figures, saturate, share
from workloads import Figures, JsonClient, Target, loop_figures, measured_loop

TARGET_PREFIX = "DynamoDB_20120810."
BATCH_WRITE = 25  # items per BatchWriteItem, the API's maximum
BATCH_RETRIES = 20  # rounds of resending UnprocessedItems before a load gives up
ACTIVE_TIMEOUT_S = 30.0  # how long a new table may stay CREATING
MAX_SCAN_PAGES = 10_000  # bound on the pages a verifying Scan reads
# Item size as DynamoDB counts it (attribute names + values): pk 2+13, status 6+7, c 1+~2, data 4+165.
DATA = "d" * 165  # makes the bench items ~200 bytes
SETUP_ITEMS = 1_000  # items written before ddb_get / ddb_update_cond
QUERY_PARTITIONS = 4  # partitions of ddb_query, each of QUERY_PARTITION_SIZE items
QUERY_PARTITION_SIZE = 100
QUERY_LIMIT = 25
COUNT_RE = re.compile(rb'"Count"\s*:\s*(\d+)')


class DdbError(RuntimeError):
    """A DynamoDB call that a workload needs for its setup or checks was not answered as expected."""


class DdbClient(JsonClient):
    """Raw JSON-protocol DynamoDB calls over one keep-alive connection."""

    service = "dynamodb"
    target_prefix = TARGET_PREFIX
    error = DdbError

    def __init__(self, target: Target, timeout: float = 10.0) -> None:
        super().__init__(target, timeout)

    def create_table(
        self, name: str, hash_key: str, range_key: tuple[str, str] | None = None, hash_type: str = "S"
    ) -> str:
        """Create a PAY_PER_REQUEST table, wait until it is ACTIVE, return the TableName the server gave."""
        attributes = [{"AttributeName": hash_key, "AttributeType": hash_type}]
        schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
        if range_key:
            attributes.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
            schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
        params = {
            "TableName": name,
            "AttributeDefinitions": attributes,
            "KeySchema": schema,
            "BillingMode": "PAY_PER_REQUEST",
        }
        description = self.call("CreateTable", params).get("TableDescription") or {}
        table = description.get("TableName")
        if not isinstance(table, str):
            raise DdbError(f"CreateTable answered without a TableName: {description!r:.300}")
        status = description.get("TableStatus")
        deadline = time.perf_counter() + ACTIVE_TIMEOUT_S
        while status != "ACTIVE":
            if time.perf_counter() > deadline:
                raise DdbError(f"table {table} still {status} after {ACTIVE_TIMEOUT_S:.0f} s")
            time.sleep(0.05)
            status = (self.call("DescribeTable", {"TableName": table}).get("Table") or {}).get("TableStatus")
        return table

    def scan_all(self, params: dict[str, Any]) -> Iterable[dict[str, Any]]:
        """Every page of a Scan, following LastEvaluatedKey (at most MAX_SCAN_PAGES pages)."""
        params = dict(params)
        for _ in range(MAX_SCAN_PAGES):
            page = self.call("Scan", params)
            yield page
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            params["ExclusiveStartKey"] = last
        raise DdbError(f"Scan did not end after {MAX_SCAN_PAGES} pages")


def batch_write(client: DdbClient, table: str, items: list[dict[str, Any]]) -> int:
    """Write `items` (up to BATCH_WRITE) with BatchWriteItem, resending UnprocessedItems; requests sent."""
    pending = {table: [{"PutRequest": {"Item": item}} for item in items]}
    for attempt in range(BATCH_RETRIES):
        answer = client.call("BatchWriteItem", {"RequestItems": pending})
        pending = {t: reqs for t, reqs in (answer.get("UnprocessedItems") or {}).items() if reqs}
        if not pending:
            return attempt + 1
        time.sleep(min(0.01 * 2**attempt, 0.5))
    raise DdbError(f"BatchWriteItem left {sum(map(len, pending.values()))} items unprocessed")


def load(client: DdbClient, table: str, items: list[dict[str, Any]]) -> None:
    """Write all `items`, BATCH_WRITE per request."""
    for start in range(0, len(items), BATCH_WRITE):
        batch_write(client, table, items[start : start + BATCH_WRITE])


def bench_item(key: str, **extra: dict[str, str]) -> dict[str, Any]:
    """A ~200-byte item: key, a pending status, a zero counter and filler."""
    return {
        "pk": {"S": key},
        "status": {"S": "pending"},
        "c": {"N": "0"},
        "data": {"S": DATA},
        **extra,
    }


def setup_keys(prefix: str) -> list[str]:
    """The fixed-width keys written before ddb_get and ddb_update_cond."""
    return [f"{prefix}-{i:09d}" for i in range(SETUP_ITEMS)]


def run_loop(target: Target, client: DdbClient, call: Callable[[], bool]) -> Figures:
    """Warm-up and timed loop of `call`; ops/s, latency and connection figures."""
    result = measured_loop(target, call, client.conn.reset_count)
    return {**loop_figures(result, rate_key="ops_per_s"), "connections": client.conn.connects}


# --- ddb_put -----------------------------------------------------------------------------------


def put_key(prefix: str, n: int) -> str:
    """The key of the n-th item a `Puts` writes (fixed width)."""
    return f"{prefix}-{n:09d}"


class Puts:
    """PutItem of distinct ~200-byte items keyed `<prefix>-<n>` (fixed width: every body has the same
    length), spliced into one pre-built request (one json.dumps), n = 0, 1, 2, ... in turn."""

    def __init__(self, client: DdbClient, table: str, prefix: str = "put") -> None:
        self.client, self.table, self.prefix = client, table, prefix
        placeholder = "K" * len(self.key(0))
        body = json.dumps({"TableName": table, "Item": bench_item(placeholder)}).encode()
        self.head, self.tail = client.raw_request("PutItem", body).split(placeholder.encode())
        self.acknowledged = 0  # puts answered 200: keys 0 .. acknowledged - 1 are stored

    def key(self, n: int) -> str:
        return put_key(self.prefix, n)

    def payload(self, n: int) -> bytes:
        return b"".join((self.head, self.key(n).encode(), self.tail))

    def first(self) -> None:
        """The first put, which must be answered 200 and read back unchanged."""
        status, body = self.client.post(self.payload(0))
        if status != 200:
            raise DdbError(f"PutItem answered {status}: {body[:300]!r}")
        check_item(self.client, self.table, bench_item(self.key(0)))
        self.acknowledged = 1

    def run(self) -> bool:
        """One PutItem; the next put takes a new key only once this one was stored."""
        status, _ = self.client.post(self.payload(self.acknowledged))
        if status != 200:
            return False
        self.acknowledged += 1
        return True


def check_item(client: DdbClient, table: str, item: dict[str, Any]) -> None:
    """GetItem (consistent read) of `item`'s key must answer exactly `item`."""
    answer = client.call("GetItem", {"TableName": table, "Key": {"pk": item["pk"]}, "ConsistentRead": True})
    if answer.get("Item") != item:
        raise DdbError(f"GetItem of {item['pk']} answered {answer!r:.300}")


def count_items(client: DdbClient, table: str) -> int:
    """Items in a table by a paginated Scan with Select=COUNT."""
    pages = client.scan_all({"TableName": table, "Select": "COUNT"})
    return sum(int(page.get("Count", 0)) for page in pages)


def ddb_put(target: Target) -> Figures:
    """PutItem calls/s of distinct ~200-byte items, then a count of the items the table holds."""
    client = DdbClient(target)
    try:
        table = client.create_table("bench-put", "pk")
        puts = Puts(client, table)
        puts.first()
        figures = run_loop(target, client, puts.run)
        check_item(client, table, bench_item(puts.key(puts.acknowledged - 1)))
        stored = count_items(client, table)
    finally:
        client.close()
    # Items the server acknowledged but does not hold (0 when nothing was lost).
    return {**figures, "missing_in_table": puts.acknowledged - stored}


def ddb_put_sat(target: Target) -> Figures:
    """PutItem from `target.clients` processes at once, each with its own key prefix; then a count."""
    client = DdbClient(target)
    try:
        table = client.create_table("bench-put-sat", "pk")
        Puts(client, table).first()  # one item, "put-000000000"

        def make(index: int) -> Client:
            own = DdbClient(target)
            puts = Puts(own, table, f"put{index}")
            return Client(puts.run, totals=lambda: {"acknowledged": puts.acknowledged}, close=own.close)

        client.close()  # idle meanwhile (a server may time it out); reconnects afterwards
        result = saturate(target, make)
        for index, totals in enumerate(result.per_client):  # each client's last item, read back
            if totals["acknowledged"]:
                last = put_key(f"put{index}", totals["acknowledged"] - 1)
                check_item(client, table, bench_item(last))
        stored = count_items(client, table)
    finally:
        client.close()
    missing = 1 + result.totals.get("acknowledged", 0) - stored
    return {**sat_figures(result, "ops_per_s"), "requests": result.ok, "missing_in_table": missing}


# --- ddb_get -----------------------------------------------------------------------------------


def loaded_table(client: DdbClient, name: str, prefix: str) -> tuple[str, list[str]]:
    """A new table holding SETUP_ITEMS bench items keyed `setup_keys(prefix)`: its name and the keys."""
    table = client.create_table(name, "pk")
    keys = setup_keys(prefix)
    load(client, table, [bench_item(k) for k in keys])
    return table, keys


class Gets:
    """GetItem of `keys` in turn, from a ring of pre-built requests."""

    def __init__(self, client: DdbClient, table: str, keys: list[str]) -> None:
        self.client = client
        self.ring = [
            (client.request("GetItem", {"TableName": table, "Key": {"pk": {"S": k}}}), json.dumps(k).encode())
            for k in keys
        ]
        self.position = 0

    def run(self) -> bool:
        """One GetItem; True when answered 200 with an "Item" holding its key."""
        payload, key = self.ring[self.position]
        self.position = (self.position + 1) % len(self.ring)
        status, body = self.client.post(payload)
        return status == 200 and key in body and b'"Item"' in body


def ddb_get(target: Target) -> Figures:
    """GetItem calls/s cycling over 1,000 items written first; each answer must hold its item's key."""
    client = DdbClient(target)
    try:
        table, keys = loaded_table(client, "bench-get", "get")
        check_item(client, table, bench_item(keys[-1]))
        figures = run_loop(target, client, Gets(client, table, keys).run)
    finally:
        client.close()
    return figures


def ddb_get_sat(target: Target) -> Figures:
    """GetItem from `target.clients` processes at once, each over its own slice of the 1,000 items."""
    client = DdbClient(target)
    try:
        table, keys = loaded_table(client, "bench-get-sat", "get")
        check_item(client, table, bench_item(keys[-1]))
    finally:
        client.close()

    def make(index: int) -> Client:
        own = DdbClient(target)
        gets = Gets(own, table, share(keys, index, target.clients))
        return Client(gets.run, close=own.close)

    result = saturate(target, make)
    return {**sat_figures(result, "ops_per_s"), "requests": result.ok}


# --- ddb_update_cond ---------------------------------------------------------------------------

UPDATE_PARAMS = {
    "UpdateExpression": "SET #c = #c + :one",
    "ConditionExpression": "attribute_exists(pk) AND #s = :pending",
    "ExpressionAttributeNames": {"#c": "c", "#s": "status"},
    "ExpressionAttributeValues": {":one": {"N": "1"}, ":pending": {"S": "pending"}},
}


def check_condition(client: DdbClient, table: str) -> None:
    """The same update on an item whose status is not pending must fail its condition, changing nothing."""
    done = bench_item("upd-done", status={"S": "done"})
    client.call("PutItem", {"TableName": table, "Item": done})
    params = {"TableName": table, "Key": {"pk": done["pk"]}, **UPDATE_PARAMS}
    status, body = client.post(client.request("UpdateItem", params))
    if status != 400 or b"ConditionalCheckFailedException" not in body:
        raise DdbError(f"UpdateItem against a failing condition answered {status}: {body[:300]!r}")
    check_item(client, table, done)


def counter_total(client: DdbClient, table: str, keys: set[str]) -> int:
    """Sum of the counters `c` of the items with these keys, by a paginated Scan."""
    params = {
        "TableName": table,
        "ProjectionExpression": "pk, #c",
        "ExpressionAttributeNames": {"#c": "c"},
    }
    total = 0
    for page in client.scan_all(params):
        for item in page.get("Items") or []:
            if item.get("pk", {}).get("S") in keys:
                total += int(item.get("c", {}).get("N", 0))
    return total


class Updates:
    """The conditional counter increment on `keys` in turn, from a ring of pre-built requests."""

    def __init__(self, client: DdbClient, table: str, keys: list[str]) -> None:
        self.client = client
        self.ring = [
            client.request("UpdateItem", {"TableName": table, "Key": {"pk": {"S": k}}, **UPDATE_PARAMS})
            for k in keys
        ]
        self.position = 0
        self.applied = 0  # updates answered 200

    def run(self) -> bool:
        """One UpdateItem; True when answered 200."""
        status, _ = self.client.post(self.ring[self.position])
        self.position = (self.position + 1) % len(self.ring)
        self.applied += status == 200
        return status == 200


def ddb_update_cond(target: Target) -> Figures:
    """Conditional UpdateItem calls/s (a counter increment on existing pending items); all must be 200."""
    client = DdbClient(target)
    try:
        table, keys = loaded_table(client, "bench-update", "upd")
        check_condition(client, table)
        updates = Updates(client, table, keys)
        figures = run_loop(target, client, updates.run)
        total = counter_total(client, table, set(keys))
    finally:
        client.close()
    # Increments the server acknowledged but the counters do not show (0 when none was lost).
    return {**figures, "lost_updates": updates.applied - total}


def ddb_update_cond_sat(target: Target) -> Figures:
    """The conditional increment from `target.clients` processes, each over its own slice of the items."""
    client = DdbClient(target)
    try:
        table, keys = loaded_table(client, "bench-update-sat", "upd")
        check_condition(client, table)

        def make(index: int) -> Client:
            own = DdbClient(target)
            updates = Updates(own, table, share(keys, index, target.clients))
            return Client(updates.run, totals=lambda: {"applied": updates.applied}, close=own.close)

        client.close()  # idle meanwhile (a server may time it out); reconnects afterwards
        result = saturate(target, make)
        total = counter_total(client, table, set(keys))
    finally:
        client.close()
    lost = result.totals.get("applied", 0) - total
    return {**sat_figures(result, "ops_per_s"), "requests": result.ok, "lost_updates": lost}


# --- ddb_query ---------------------------------------------------------------------------------


def query_item(partition: str, sort: int) -> dict[str, Any]:
    return {"pk": {"S": partition}, "sk": {"N": str(sort)}, "status": {"S": "pending"}, "data": {"S": DATA}}


def check_query(client: DdbClient, table: str, partition: str) -> None:
    """The first page of a partition: items sk 0..24 in order and a LastEvaluatedKey at sk 24."""
    answer = client.call("Query", query_params(table, partition))
    expected = [query_item(partition, i) for i in range(QUERY_LIMIT)]
    last = answer.get("LastEvaluatedKey")
    if answer.get("Count") != QUERY_LIMIT or answer.get("Items") != expected:
        raise DdbError(f"Query of {partition} answered {answer!r:.300}")
    if last != {"pk": {"S": partition}, "sk": {"N": str(QUERY_LIMIT - 1)}}:
        raise DdbError(f"Query of {partition} answered LastEvaluatedKey {last!r}")


def query_params(table: str, partition: str) -> dict[str, Any]:
    return {
        "TableName": table,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": partition}},
        "Limit": QUERY_LIMIT,
    }


def ddb_query(target: Target) -> Figures:
    """Query calls/s (Limit 25) over a few 100-item partitions (hash + numeric range key)."""
    client = DdbClient(target)
    try:
        table = client.create_table("bench-query", "pk", ("sk", "N"))
        partitions = [f"part-{p:03d}" for p in range(QUERY_PARTITIONS)]
        load(client, table, [query_item(p, i) for p in partitions for i in range(QUERY_PARTITION_SIZE)])
        for partition in partitions:
            check_query(client, table, partition)
        ring = [client.request("Query", query_params(table, p)) for p in partitions]
        position = 0

        def query() -> bool:
            nonlocal position
            status, body = client.post(ring[position])
            position = (position + 1) % len(ring)
            if status != 200:
                return False
            count = COUNT_RE.search(body)
            return count is not None and int(count.group(1)) == QUERY_LIMIT

        figures = run_loop(target, client, query)
    finally:
        client.close()
    return figures
