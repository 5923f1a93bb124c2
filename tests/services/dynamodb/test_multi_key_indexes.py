"""Global secondary indexes with multi-attribute keys (up to four HASH and four RANGE attributes).

Where the expectations come from:

- The DynamoDB Developer Guide ("Multi-attribute key schema" in GSI.html): every partition-key
  attribute with an equality condition; sort-key attributes left to right without skipping; an
  inequality, BETWEEN or begins_with only on the last one used; items sorted by the sort-key
  attributes in order; an item missing any key attribute is not in the index.
- Measurements published from live AWS (CreateTable of 5 HASH / 5 RANGE / HASH after RANGE /
  duplicate attributes; the table and LSI key schemas staying at two elements).
- Messages no source quotes in full are checked by code only (``# message unverified``).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client

from .conftest import code_of, error_of, key_schema, put_all, query_all, unique

MATCH_KEYS = [
    ("tournament", "HASH"),
    ("area", "HASH"),
    ("round", "RANGE"),
    ("bracket", "RANGE"),
    ("score", "RANGE"),
]
TYPES = {"id": "S", "tournament": "S", "area": "S", "round": "S", "bracket": "S", "score": "N"}


def _schema(keys: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"AttributeName": name, "KeyType": kind} for name, kind in keys]


def _definitions(names) -> list[dict[str, str]]:
    return [{"AttributeName": n, "AttributeType": TYPES.get(n, "S")} for n in dict.fromkeys(names)]


def _multi_gsi(name: str, keys: list[tuple[str, str]], projection: str = "ALL") -> dict:
    return {"IndexName": name, "KeySchema": _schema(keys), "Projection": {"ProjectionType": projection}}


@pytest.fixture
def matches(ddb):
    """Table ``id`` with GSI ``by-match``: (tournament, area) HASH, (round, bracket, score N) RANGE."""
    name = unique("mk")
    ddb.create_table(
        TableName=name,
        KeySchema=key_schema("id"),
        AttributeDefinitions=_definitions(["id", *TYPES]),
        GlobalSecondaryIndexes=[_multi_gsi("by-match", MATCH_KEYS)],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    ddb.delete_table(TableName=name)


def _match(id_: str, **attrs) -> dict:
    item = {"id": {"S": id_}}
    for key, value in attrs.items():
        item[key] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    return item


def _query(ddb, table: str, condition: str, values: dict, **kwargs):
    values = {k: ({"N": str(v)} if isinstance(v, int) else {"S": v}) for k, v in values.items()}
    return ddb.query(
        TableName=table,
        IndexName="by-match",
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        **kwargs,
    )


def _ids(response) -> list[str]:
    return [item["id"]["S"] for item in response["Items"]]


PARTITION = "tournament = :t AND area = :g"
EU = {":t": "W24", ":g": "EU"}


@pytest.fixture
def played(ddb, matches):
    put_all(
        ddb,
        matches,
        [
            _match("m1", tournament="W24", area="EU", round="final", bracket="upper", score=10),
            _match("m2", tournament="W24", area="EU", round="final", bracket="upper", score=9),
            _match("m3", tournament="W24", area="EU", round="final", bracket="lower", score=50),
            _match("m4", tournament="W24", area="EU", round="fin", bracket="upper", score=1),
            _match("m5", tournament="W24", area="EU", round="semi", bracket="a", score=7),
            _match("m6", tournament="W24", area="US", round="final", bracket="upper", score=10),
            _match("m7", tournament="S24", area="EU", round="final", bracket="upper", score=10),
            _match("m8", tournament="W24", area="EU", round="final", score=3),  # no bracket
            _match("m9", tournament="W24", round="final", bracket="upper", score=3),  # no area
        ],
    )
    return matches


# ---------------------------------------------------------------- tables


def test_create_and_describe_keep_the_key_schema_in_order(ddb, matches):
    gsi = ddb.describe_table(TableName=matches)["Table"]["GlobalSecondaryIndexes"][0]
    assert gsi["KeySchema"] == _schema(MATCH_KEYS)
    assert gsi["IndexStatus"] == "ACTIVE"


def test_four_hash_and_four_range_attributes_are_accepted(ddb, make_table):
    keys = [(f"h{i}", "HASH") for i in range(4)] + [(f"r{i}", "RANGE") for i in range(4)]
    name = make_table(
        "id",
        attributes={k: "S" for k, _ in keys},
        gsis=[_multi_gsi("eight", keys)],
    )
    gsi = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
    assert gsi["KeySchema"] == _schema(keys)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        pytest.param(
            [(f"h{i}", "HASH") for i in range(5)],
            "One or more parameter values were invalid: The KeySchema exceeds the maximum allowed number "
            "of HASH key attributes",
            id="five-hash",
        ),
        pytest.param(
            [("h0", "HASH")] + [(f"r{i}", "RANGE") for i in range(5)],
            "One or more parameter values were invalid: The KeySchema exceeds the maximum allowed number "
            "of RANGE key attributes",
            id="five-range",
        ),
        pytest.param(
            [("h0", "HASH"), ("r0", "RANGE"), ("h1", "HASH")],
            "One or more parameter values were invalid: All HASH key attributes must precede RANGE key "
            "attributes in the KeySchema",
            id="hash-after-range",
        ),
        pytest.param(
            [("h0", "HASH"), ("h1", "HASH"), ("h0", "HASH")],
            "The KeySchema contains multiple key attributes with the same name",
            id="same-attribute-twice",
        ),
        pytest.param(
            [("r0", "RANGE"), ("h0", "HASH")],
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            id="range-first",
        ),
    ],
)
def test_gsi_key_schema_errors(ddb, keys, message):
    name = unique("bad")
    with pytest.raises(ClientError) as exc:
        ddb.create_table(
            TableName=name,
            KeySchema=key_schema("id"),
            AttributeDefinitions=_definitions(["id", *(k for k, _ in keys)]),
            GlobalSecondaryIndexes=[_multi_gsi("g-bad", keys)],
            BillingMode="PAY_PER_REQUEST",
        )
    assert error_of(exc) == ("ValidationException", message, 400)


def test_table_and_lsi_keys_stay_single_attribute(ddb):
    with pytest.raises(ClientError) as exc:
        ddb.create_table(
            TableName=unique("bad"),
            KeySchema=_schema([("a", "HASH"), ("b", "HASH")]),
            AttributeDefinitions=_definitions(["a", "b"]),
            BillingMode="PAY_PER_REQUEST",
        )
    assert error_of(exc) == (
        "ValidationException",
        "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        400,
    )
    with pytest.raises(ClientError) as exc:
        ddb.create_table(
            TableName=unique("bad"),
            KeySchema=key_schema("a", "b"),
            AttributeDefinitions=_definitions(["a", "b", "c", "d"]),
            LocalSecondaryIndexes=[
                _multi_gsi("l-bad", [("a", "HASH"), ("c", "RANGE"), ("d", "RANGE")], projection="KEYS_ONLY")
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    code, message, status = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    assert "Member must have length less than or equal to 2" in message


def test_update_table_creates_a_multi_attribute_gsi_and_backfills_it(ddb, make_table):
    name = make_table("id")
    put_all(
        ddb,
        name,
        [
            _match("a", tournament="T", area="EU", round="r1", bracket="x", score=2),
            _match("b", tournament="T", area="EU", round="r1", bracket="x", score=1),
            _match("c", tournament="T", area="EU", round="r1"),  # no bracket or score
        ],
    )
    described = ddb.update_table(
        TableName=name,
        AttributeDefinitions=_definitions(["tournament", "area", "round", "bracket", "score"]),
        GlobalSecondaryIndexUpdates=[{"Create": _multi_gsi("by-match", MATCH_KEYS)}],
    )["TableDescription"]
    assert described["GlobalSecondaryIndexes"][0]["KeySchema"] == _schema(MATCH_KEYS)
    assert _ids(_query(ddb, name, PARTITION, {":t": "T", ":g": "EU"})) == ["b", "a"]
    with pytest.raises(ClientError) as exc:
        ddb.update_table(
            TableName=name,
            AttributeDefinitions=_definitions([f"h{i}" for i in range(5)]),
            GlobalSecondaryIndexUpdates=[
                {"Create": _multi_gsi("five", [(f"h{i}", "HASH") for i in range(5)])}
            ],
        )
    assert error_of(exc) == (
        "ValidationException",
        "One or more parameter values were invalid: The KeySchema exceeds the maximum allowed number of "
        "HASH key attributes",
        400,
    )


# ---------------------------------------------------------------- queries


def test_query_needs_every_partition_attribute(ddb, played):
    with pytest.raises(ClientError) as exc:
        _query(ddb, played, "tournament = :t", {":t": "W24"})
    assert error_of(exc) == (
        "ValidationException",
        "Query condition missed key schema element: area",
        400,
    )
    with pytest.raises(ClientError) as exc:
        _query(ddb, played, "tournament = :t AND area > :g", EU)
    assert error_of(exc) == ("ValidationException", "Query key condition not supported", 400)


def test_query_returns_the_partition_in_sort_key_order(ddb, played):
    # Sorted by (round, bracket, score): "fin" < "final"; numbers numerically (9 before 10).
    assert _ids(_query(ddb, played, PARTITION, EU)) == ["m4", "m3", "m2", "m1", "m5"]
    assert _ids(_query(ddb, played, PARTITION, EU, ScanIndexForward=False)) == ["m5", "m1", "m2", "m3", "m4"]
    # Other partitions (another area, another tournament) and incomplete items are not there.
    assert _ids(_query(ddb, played, PARTITION, {":t": "W24", ":g": "US"})) == ["m6"]


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        ("round = :r", {":r": "final"}, ["m3", "m2", "m1"]),
        ("round = :r AND bracket = :b", {":r": "final", ":b": "upper"}, ["m2", "m1"]),
        ("round = :r AND bracket = :b AND score = :s", {":r": "final", ":b": "upper", ":s": 10}, ["m1"]),
        ("round = :r AND bracket = :b AND score > :s", {":r": "final", ":b": "upper", ":s": 9}, ["m1"]),
        (
            "round = :r AND bracket = :b AND score <= :s",
            {":r": "final", ":b": "upper", ":s": 10},
            ["m2", "m1"],
        ),
        ("round = :r AND bracket < :b", {":r": "final", ":b": "upper"}, ["m3"]),
        ("round = :r AND bracket >= :b", {":r": "final", ":b": "lower"}, ["m3", "m2", "m1"]),
        ("round = :r AND bracket > :b", {":r": "final", ":b": "lower"}, ["m2", "m1"]),
        ("round < :r", {":r": "final"}, ["m4"]),
        ("round <= :r", {":r": "final"}, ["m4", "m3", "m2", "m1"]),
        ("round > :r", {":r": "fin"}, ["m3", "m2", "m1", "m5"]),
        ("round >= :r", {":r": "final"}, ["m3", "m2", "m1", "m5"]),
        ("begins_with(round, :r)", {":r": "fin"}, ["m4", "m3", "m2", "m1"]),
        ("round BETWEEN :a AND :b", {":a": "final", ":b": "semi"}, ["m3", "m2", "m1", "m5"]),
        (
            "round = :r AND bracket BETWEEN :a AND :b",
            {":r": "final", ":a": "a", ":b": "lower"},
            ["m3"],
        ),
        (
            "round = :r AND bracket = :b AND score BETWEEN :a AND :z",
            {":r": "final", ":b": "upper", ":a": 5, ":z": 9},
            ["m2"],
        ),
        ("round = :r AND begins_with(bracket, :b)", {":r": "final", ":b": "up"}, ["m2", "m1"]),
    ],
)
def test_sort_conditions_left_to_right(ddb, played, condition, values, expected):
    response = _query(ddb, played, f"{PARTITION} AND {condition}", {**EU, **values})
    assert _ids(response) == expected


def test_sort_conditions_that_skip_or_misplace_an_attribute(ddb, played):
    with pytest.raises(ClientError) as exc:
        _query(ddb, played, f"{PARTITION} AND round = :r AND score > :s", {**EU, ":r": "final", ":s": 1})
    code, message, status = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    assert "bracket" in message  # the skipped attribute is named; full wording unverified
    with pytest.raises(ClientError) as exc:
        _query(ddb, played, f"{PARTITION} AND round > :r AND bracket = :b", {**EU, ":r": "a", ":b": "upper"})
    assert error_of(exc) == ("ValidationException", "Query key condition not supported", 400)


def test_legacy_key_conditions(ddb, played):
    def cond(op, *values):
        return {
            "ComparisonOperator": op,
            "AttributeValueList": [{"N": str(v)} if isinstance(v, int) else {"S": v} for v in values],
        }

    response = ddb.query(
        TableName=played,
        IndexName="by-match",
        KeyConditions={
            "tournament": cond("EQ", "W24"),
            "area": cond("EQ", "EU"),
            "round": cond("EQ", "final"),
            "bracket": cond("EQ", "upper"),
            "score": cond("GT", 9),
        },
    )
    assert _ids(response) == ["m1"]
    with pytest.raises(ClientError) as exc:
        ddb.query(
            TableName=played,
            IndexName="by-match",
            KeyConditions={
                "tournament": cond("EQ", "W24"),
                "area": cond("EQ", "EU"),
                "score": cond("GT", 9),
            },
        )
    assert code_of(exc) == ("ValidationException", 400)
    assert "round" in exc.value.response["Error"]["Message"]


def test_condition_types_must_match_the_definitions(ddb, played):
    with pytest.raises(ClientError) as exc:
        ddb.query(
            TableName=played,
            IndexName="by-match",
            KeyConditionExpression="tournament = :t AND area = :g",
            ExpressionAttributeValues={":t": {"S": "W24"}, ":g": {"N": "1"}},
        )
    assert error_of(exc) == (
        "ValidationException",
        "One or more parameter values were invalid: Condition parameter type does not match schema type",
        400,
    )


def test_filter_cannot_name_an_index_key_attribute(ddb, played):
    with pytest.raises(ClientError) as exc:
        _query(ddb, played, PARTITION, {**EU, ":b": "upper"}, FilterExpression="bracket = :b")
    assert error_of(exc) == (
        "ValidationException",
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: bracket",
        400,
    )


def test_query_and_scan_paging(ddb, played):
    items, pages = query_all(
        ddb,
        TableName=played,
        IndexName="by-match",
        KeyConditionExpression=PARTITION,
        ExpressionAttributeValues={":t": {"S": "W24"}, ":g": {"S": "EU"}},
        Limit=2,
    )
    assert [i["id"]["S"] for i in items] == ["m4", "m3", "m2", "m1", "m5"]
    assert set(pages[0]["LastEvaluatedKey"]) == {"id", "tournament", "area", "round", "bracket", "score"}
    items, pages = query_all(ddb, _operation="scan", TableName=played, IndexName="by-match", Limit=2)
    assert sorted(i["id"]["S"] for i in items) == ["m1", "m2", "m3", "m4", "m5", "m6", "m7"]
    assert len(pages) >= 4


# ---------------------------------------------------------------- maintenance on every write path


def _indexed(ddb, table: str) -> list[str]:
    return sorted(i["id"]["S"] for i in ddb.scan(TableName=table, IndexName="by-match")["Items"])


def test_every_write_path_maintains_the_index(ddb, matches):
    full = {"tournament": "T", "area": "EU", "round": "r", "bracket": "b", "score": 1}
    ddb.put_item(TableName=matches, Item=_match("put", **full))
    ddb.put_item(TableName=matches, Item=_match("partial"))
    ddb.update_item(
        TableName=matches,
        Key={"id": {"S": "partial"}},
        UpdateExpression="SET tournament = :t, area = :g, round = :r, bracket = :b",
        ExpressionAttributeValues={":t": {"S": "T"}, ":g": {"S": "EU"}, ":r": {"S": "r"}, ":b": {"S": "b"}},
    )
    assert _indexed(ddb, matches) == ["put"]  # still no score
    ddb.update_item(
        TableName=matches,
        Key={"id": {"S": "partial"}},
        UpdateExpression="SET score = :s",
        ExpressionAttributeValues={":s": {"N": "5"}},
    )
    assert _indexed(ddb, matches) == ["partial", "put"]
    ddb.update_item(TableName=matches, Key={"id": {"S": "put"}}, UpdateExpression="REMOVE area")
    assert _indexed(ddb, matches) == ["partial"]
    ddb.batch_write_item(
        RequestItems={
            matches: [
                {"PutRequest": {"Item": _match("batch", **full)}},
                {"DeleteRequest": {"Key": {"id": {"S": "partial"}}}},
            ]
        }
    )
    assert _indexed(ddb, matches) == ["batch"]
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": matches, "Item": _match("tx", **full)}},
            {
                "Update": {
                    "TableName": matches,
                    "Key": {"id": {"S": "batch"}},
                    "UpdateExpression": "SET bracket = :b",
                    "ExpressionAttributeValues": {":b": {"S": "z"}},
                }
            },
        ]
    )
    assert _ids(_query(ddb, matches, PARTITION, {":t": "T", ":g": "EU"})) == ["tx", "batch"]
    ddb.execute_statement(
        Statement=f"INSERT INTO \"{matches}\" VALUE {{'id': 'pq', 'tournament': 'T', 'area': 'EU', "
        "'round': 'a', 'bracket': 'b', 'score': 2}"
    )
    ddb.execute_statement(Statement=f"UPDATE \"{matches}\" SET score = 3 WHERE id = 'tx'")
    ddb.execute_statement(Statement=f"DELETE FROM \"{matches}\" WHERE id = 'batch'")
    response = _query(ddb, matches, PARTITION, {":t": "T", ":g": "EU"})
    assert [(i["id"]["S"], i["score"]["N"]) for i in response["Items"]] == [("pq", "2"), ("tx", "3")]
    ddb.delete_item(TableName=matches, Key={"id": {"S": "tx"}})
    assert _indexed(ddb, matches) == ["pq"]
    gsi = ddb.describe_table(TableName=matches)["Table"]["GlobalSecondaryIndexes"][0]
    assert gsi["ItemCount"] == 1


def test_index_key_attributes_must_have_the_defined_types(ddb, matches):
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=matches, Item=_match("x", tournament="T", area="EU", score="high"))
    assert error_of(exc) == (
        "ValidationException",
        "One or more parameter values were invalid: Type mismatch for Index Key score Expected: N Actual: S "
        "IndexName: by-match",
        400,
    )


def test_partiql_select_on_a_multi_attribute_index(ddb, played):
    response = ddb.execute_statement(
        Statement=f"SELECT id FROM \"{played}\".\"by-match\" WHERE tournament = 'W24' AND area = 'EU' "
        "AND round = 'final'"
    )
    assert sorted(i["id"]["S"] for i in response["Items"]) == ["m1", "m2", "m3"]


def test_ttl_expiry_removes_index_entries_and_streams_carry_table_keys(ddb, aws_client, matches, cloudlet):
    ddb.update_time_to_live(
        TableName=matches, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    arn = ddb.update_table(
        TableName=matches, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )["TableDescription"]["LatestStreamArn"]
    now = int(cloudlet.clock()["now"])
    item = _match("gone", tournament="T", area="EU", round="r", bracket="b", score=1)
    item["expires"] = {"N": str(now + 100)}
    ddb.put_item(TableName=matches, Item=item)
    assert _indexed(ddb, matches) == ["gone"]
    cloudlet.advance_clock(200)
    assert _indexed(ddb, matches) == []
    assert ddb.describe_table(TableName=matches)["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"] == 0
    streams = aws_client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    position = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=position["ShardIterator"])["Records"]
    assert [(r["eventName"], r["dynamodb"]["Keys"]) for r in records] == [
        ("INSERT", {"id": {"S": "gone"}}),
        ("REMOVE", {"id": {"S": "gone"}}),
    ]


def test_multi_attribute_index_survives_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        ddb = client("dynamodb", server.endpoint)
        ddb.create_table(
            TableName="matches",
            KeySchema=key_schema("id"),
            AttributeDefinitions=_definitions(["id", *TYPES]),
            GlobalSecondaryIndexes=[_multi_gsi("by-match", MATCH_KEYS)],
            BillingMode="PAY_PER_REQUEST",
        )
        for i in range(6):
            ddb.put_item(
                TableName="matches",
                Item=_match(f"m{i}", tournament="T", area="EU", round="r", bracket="b", score=10 - i),
            )
    finally:
        server.kill()
    server.start()
    try:
        ddb = client("dynamodb", server.endpoint)
        gsi = ddb.describe_table(TableName="matches")["Table"]["GlobalSecondaryIndexes"][0]
        assert gsi["KeySchema"] == _schema(MATCH_KEYS)
        response = ddb.query(
            TableName="matches",
            IndexName="by-match",
            KeyConditionExpression="tournament = :t AND area = :g AND round = :r AND bracket = :b AND score < :s",
            ExpressionAttributeValues={
                ":t": {"S": "T"},
                ":g": {"S": "EU"},
                ":r": {"S": "r"},
                ":b": {"S": "b"},
                ":s": {"N": "7"},
            },
        )
        assert _ids(response) == ["m5", "m4"]
    finally:
        server.kill()
