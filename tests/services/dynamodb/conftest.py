"""Fixtures for the DynamoDB integration tests: clients, a table factory, small helpers.

Where the tests' expectations come from:

- ``/work/shared/aws-reference/dynamodb/test_dynamodb.snapshot.json``: responses recorded from
  real AWS (error messages, response shapes).
- The DynamoDB API reference and developer guide, and the documentation strings of the botocore
  service model (``botocore/data/dynamodb/2012-08-10/service-2.json``).

An assertion on an error message that neither source confirms is left out: such tests check
the error code and HTTP status only and carry a ``# message unverified`` comment.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"
REGION = "us-east-1"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@pytest.fixture
def ddb(aws_client):
    return aws_client("dynamodb")


@pytest.fixture
def ddb_raw(aws_client):
    """A client that skips botocore's own parameter checks, so bad input reaches the server."""
    return aws_client(
        "dynamodb",
        config=Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"}),
    )


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def table_arn(name: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:dynamodb:{region}:{account}:table/{name}"


def key_schema(hash_key: str, range_key: str | None = None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def gsi(
    name: str,
    hash_key: str,
    range_key: str | None = None,
    projection: str = "ALL",
    non_key: Iterable[str] | None = None,
    throughput: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A GlobalSecondaryIndex (or, without ``throughput``, the shape an LSI takes too)."""
    index: dict[str, Any] = {
        "IndexName": name,
        "KeySchema": key_schema(hash_key, range_key),
        "Projection": {"ProjectionType": projection},
    }
    if non_key is not None:
        index["Projection"]["NonKeyAttributes"] = list(non_key)
    if throughput is not None:
        index["ProvisionedThroughput"] = {
            "ReadCapacityUnits": throughput["read"],
            "WriteCapacityUnits": throughput["write"],
        }
    return index


def lsi(
    name: str,
    hash_key: str,
    range_key: str,
    projection: str = "ALL",
    non_key: Iterable[str] | None = None,
) -> dict[str, Any]:
    return gsi(name, hash_key, range_key, projection, non_key)


@pytest.fixture
def make_table(ddb):
    """Create a table with a unique name; deleted again after the test.

    ``make_table()`` is a hash-only table on ``pk`` (S), on demand. Arguments:
    ``hash_key``/``hash_type``, ``range_key``/``range_type``, ``attributes`` (extra attribute
    definitions for index keys, ``{"name": "S"}``), ``lsis``/``gsis`` (lists built with
    :func:`lsi` and :func:`gsi`), ``prefix``, and any other CreateTable parameter as keyword
    (``ProvisionedThroughput`` switches the default billing mode to PROVISIONED).
    Returns the table name.
    """
    created: list[str] = []

    def make(
        hash_key: str = "pk",
        hash_type: str = "S",
        range_key: str | None = None,
        range_type: str = "S",
        *,
        attributes: dict[str, str] | None = None,
        lsis: list[dict[str, Any]] | None = None,
        gsis: list[dict[str, Any]] | None = None,
        prefix: str = "t",
        **kwargs: Any,
    ) -> str:
        name = unique(prefix)
        definitions = {hash_key: hash_type}
        if range_key:
            definitions[range_key] = range_type
        definitions.update(attributes or {})
        params: dict[str, Any] = {
            "TableName": name,
            "KeySchema": key_schema(hash_key, range_key),
            "AttributeDefinitions": [
                {"AttributeName": attr, "AttributeType": kind} for attr, kind in definitions.items()
            ],
        }
        if lsis:
            params["LocalSecondaryIndexes"] = lsis
        if gsis:
            params["GlobalSecondaryIndexes"] = gsis
        if "ProvisionedThroughput" not in kwargs:
            kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
        params.update(kwargs)
        ddb.create_table(**params)
        created.append(name)
        return name

    yield make

    for name in created:
        try:
            ddb.delete_table(TableName=name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                continue
            try:  # deletion protection left on by the test
                ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
                ddb.delete_table(TableName=name)
            except ClientError:
                pass


def error_of(exc) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a ``pytest.raises(ClientError)`` result."""
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def code_of(exc) -> tuple[str, int]:
    """(code, HTTP status): for errors whose exact AWS message is not verified."""
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def to_ddb(item: dict[str, Any]) -> dict[str, Any]:
    """Plain Python (str, int, Decimal, bytes, set, list, dict, bool, None) to wire AttributeValues."""
    return {name: _serializer.serialize(value) for name, value in item.items()}


def from_ddb(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def put_all(ddb, table: str, items: Iterable[dict[str, Any]]) -> None:
    """Write wire-format items with BatchWriteItem, 25 at a time."""
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            _write(ddb, table, batch)
            batch = []
    if batch:
        _write(ddb, table, batch)


def _write(ddb, table: str, batch: list[dict[str, Any]]) -> None:
    response = ddb.batch_write_item(RequestItems={table: batch})
    assert response["UnprocessedItems"] == {}


def query_all(ddb, **params: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Follow LastEvaluatedKey to the end; returns (items, pages)."""
    items: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    operation = params.pop("_operation", "query")
    call = getattr(ddb, operation)
    for _ in range(10_000):
        page = call(**params)
        pages.append(page)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items, pages
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    raise AssertionError("paging never ended")


def scan_all(ddb, **params: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return query_all(ddb, _operation="scan", **params)
