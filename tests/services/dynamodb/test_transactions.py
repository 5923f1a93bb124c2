"""DynamoDB TransactWriteItems and TransactGetItems."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import code_of, error_of, put_all, table_arn

# As recorded from AWS (test_transaction_write_canceled); the AWS Knowledge Center article on
# TransactWriteItems failures shows the same text for four actions.
CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]"


@pytest.fixture
def tables(ddb, make_table):
    """Two tables: ``accounts`` (pk) and ``ledger`` (pk, sk N), with a few items."""
    accounts = make_table()
    ledger = make_table("pk", "S", "sk", "N")
    put_all(
        ddb,
        accounts,
        [
            {"pk": {"S": "alice"}, "balance": {"N": "100"}},
            {"pk": {"S": "bob"}, "balance": {"N": "50"}},
            {"pk": {"S": "carol"}, "balance": {"N": "0"}, "closed": {"BOOL": True}},
        ],
    )
    put_all(ddb, ledger, [{"pk": {"S": "alice"}, "sk": {"N": "1"}, "amount": {"N": "100"}}])
    return accounts, ledger


def _item(ddb, table, **key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def _balance(ddb, accounts, who):
    return _item(ddb, accounts, pk={"S": who})["balance"]["N"]


def _transfer(accounts, ledger, amount="30", check="balance >= :amount"):
    return [
        {
            "Update": {
                "TableName": accounts,
                "Key": {"pk": {"S": "alice"}},
                "UpdateExpression": "SET balance = balance - :amount",
                "ConditionExpression": check,
                "ExpressionAttributeValues": {":amount": {"N": amount}},
            }
        },
        {
            "Update": {
                "TableName": accounts,
                "Key": {"pk": {"S": "bob"}},
                "UpdateExpression": "SET balance = balance + :amount",
                "ExpressionAttributeValues": {":amount": {"N": amount}},
            }
        },
        {
            "Put": {
                "TableName": ledger,
                "Item": {"pk": {"S": "alice"}, "sk": {"N": "2"}, "amount": {"N": f"-{amount}"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {"Delete": {"TableName": ledger, "Key": {"pk": {"S": "alice"}, "sk": {"N": "1"}}}},
        {
            "ConditionCheck": {
                "TableName": accounts,
                "Key": {"pk": {"S": "carol"}},
                "ConditionExpression": "closed = :yes",
                "ExpressionAttributeValues": {":yes": {"BOOL": True}},
            }
        },
    ]


# ---------------------------------------------------------------- TransactWriteItems


def test_transact_write_applies_every_action(ddb, tables):
    accounts, ledger = tables
    response = ddb.transact_write_items(TransactItems=_transfer(accounts, ledger))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert _balance(ddb, accounts, "alice") == "70"
    assert _balance(ddb, accounts, "bob") == "80"
    assert _item(ddb, ledger, pk={"S": "alice"}, sk={"N": "2"})["amount"] == {"N": "-30"}
    assert _item(ddb, ledger, pk={"S": "alice"}, sk={"N": "1"}) is None
    assert _item(ddb, accounts, pk={"S": "carol"}) == {
        "pk": {"S": "carol"},
        "balance": {"N": "0"},
        "closed": {"BOOL": True},
    }


def test_transact_write_accepts_table_arns(ddb, tables):
    accounts, _ = tables
    # As recorded from AWS (test_transaction_write_items, "Response_using_table_arn").
    ddb.transact_write_items(
        TransactItems=[{"Put": {"TableName": table_arn(accounts), "Item": {"pk": {"S": "dave"}}}}]
    )
    assert _item(ddb, accounts, pk={"S": "dave"}) == {"pk": {"S": "dave"}}


def test_a_failed_condition_cancels_everything(ddb, tables):
    accounts, ledger = tables
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(TransactItems=_transfer(accounts, ledger, amount="500"))
    code, message, status = error_of(exc)
    assert (code, status) == ("TransactionCanceledException", 400)
    assert message == CANCELLED.format("ConditionalCheckFailed, None, None, None, None")
    reasons = exc.value.response["CancellationReasons"]
    # botocore model, TransactionCanceledException: one reason per action, in order; "None"
    # with no message for the actions that had no error.
    assert [r["Code"] for r in reasons] == ["ConditionalCheckFailed", "None", "None", "None", "None"]
    assert reasons[0]["Message"].startswith("The conditional request failed")
    assert "Item" not in reasons[0]
    assert reasons[1:] == [{"Code": "None"}] * 4
    # Nothing was applied.
    assert _balance(ddb, accounts, "alice") == "100"
    assert _balance(ddb, accounts, "bob") == "50"
    assert _item(ddb, ledger, pk={"S": "alice"}, sk={"N": "2"}) is None
    assert _item(ddb, ledger, pk={"S": "alice"}, sk={"N": "1"}) is not None


def test_two_actions_where_the_first_fails(ddb, make_table):
    table = make_table()
    ddb.put_item(TableName=table, Item={"pk": {"S": "taken"}})
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "taken"}, "v": {"S": "new"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {"Put": {"TableName": table, "Item": {"pk": {"S": "free"}}}},
            ]
        )
    # As recorded from AWS (test_transaction_write_canceled).
    assert error_of(exc) == (
        "TransactionCanceledException",
        CANCELLED.format("ConditionalCheckFailed, None"),
        400,
    )
    assert _item(ddb, table, pk={"S": "free"}) is None
    assert _item(ddb, table, pk={"S": "taken"}) == {"pk": {"S": "taken"}}


def test_failed_condition_check_in_the_middle_and_old_item_on_request(ddb, tables):
    accounts, ledger = tables
    items = _transfer(accounts, ledger)
    items[4]["ConditionCheck"]["ExpressionAttributeValues"][":yes"] = {"BOOL": False}
    items[4]["ConditionCheck"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(TransactItems=items)
    code, message, status = error_of(exc)
    assert (code, status) == ("TransactionCanceledException", 400)
    assert message == CANCELLED.format("None, None, None, None, ConditionalCheckFailed")
    reasons = exc.value.response["CancellationReasons"]
    assert reasons[4]["Code"] == "ConditionalCheckFailed"
    assert reasons[4]["Item"] == {"pk": {"S": "carol"}, "balance": {"N": "0"}, "closed": {"BOOL": True}}
    assert _balance(ddb, accounts, "alice") == "100"


def test_condition_on_a_missing_item_fails_without_an_item(ddb, tables):
    accounts, _ = tables
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": accounts,
                        "Key": {"pk": {"S": "nobody"}},
                        "ConditionExpression": "attribute_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {"Put": {"TableName": accounts, "Item": {"pk": {"S": "erin"}}}},
            ]
        )
    reasons = exc.value.response["CancellationReasons"]
    assert reasons[0]["Code"] == "ConditionalCheckFailed"
    assert "Item" not in reasons[0]
    assert _item(ddb, accounts, pk={"S": "erin"}) is None


def test_runtime_update_error_cancels_with_a_validation_reason(ddb, tables):
    accounts, _ = tables
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": accounts, "Item": {"pk": {"S": "frank"}}}},
                {
                    "Update": {
                        "TableName": accounts,
                        "Key": {"pk": {"S": "alice"}},
                        "UpdateExpression": "SET balance = nothere + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    code, message, status = error_of(exc)
    assert (code, status) == ("TransactionCanceledException", 400)
    assert message == CANCELLED.format("None, ValidationError")
    reasons = exc.value.response["CancellationReasons"]
    assert reasons[0] == {"Code": "None"}
    assert reasons[1]["Code"] == "ValidationError"
    # botocore model, TransactionCanceledException: one of the listed ValidationError messages.
    assert reasons[1]["Message"].startswith(
        "The provided expression refers to an attribute that does not exist in the item"
    )
    assert _item(ddb, accounts, pk={"S": "frank"}) is None


def test_two_actions_on_one_item_are_refused(ddb, tables):
    accounts, _ = tables
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": accounts,
                        "Key": {"pk": {"S": "alice"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {"Put": {"TableName": accounts, "Item": {"pk": {"S": "alice"}, "balance": {"N": "0"}}}},
            ]
        )
    # AWS Knowledge Center, "Why is my TransactWriteItems API call failing": the message for
    # more than one action on the same item.
    assert error_of(exc) == (
        "ValidationException",
        "Transaction request cannot include multiple operations on one item",
        400,
    )
    assert _balance(ddb, accounts, "alice") == "100"


def test_same_key_in_two_tables_is_two_items(ddb, tables):
    accounts, ledger = tables
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": accounts, "Item": {"pk": {"S": "gina"}}}},
            {"Put": {"TableName": ledger, "Item": {"pk": {"S": "gina"}, "sk": {"N": "1"}}}},
        ]
    )
    assert _item(ddb, accounts, pk={"S": "gina"}) is not None


def test_one_hundred_actions_are_accepted_and_101_refused(ddb, make_table):
    table = make_table()
    ddb.transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": f"k{i}"}}}} for i in range(100)]
    )
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 100
    # API reference, TransactWriteItems: up to 100 actions.
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": f"n{i}"}}}} for i in range(101)]
        )
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 100


@pytest.mark.parametrize(
    "action",
    [
        pytest.param({}, id="no-operation"),
        pytest.param(
            {
                "Put": {"TableName": "TABLE", "Item": {"pk": {"S": "a"}}},
                "Delete": {"TableName": "TABLE", "Key": {"pk": {"S": "b"}}},
            },
            id="two-operations",
        ),
        pytest.param(
            {"ConditionCheck": {"TableName": "TABLE", "Key": {"pk": {"S": "a"}}}},
            id="check-without-condition",
        ),
        pytest.param(
            {"Update": {"TableName": "TABLE", "Key": {"pk": {"S": "a"}}}}, id="update-without-expression"
        ),
        pytest.param({"Put": {"TableName": "TABLE", "Item": {"pk": {"N": "1"}}}}, id="wrong-key-type"),
        pytest.param({"Delete": {"TableName": "TABLE", "Key": {"other": {"S": "a"}}}}, id="wrong-key-name"),
        pytest.param(
            {
                "Update": {
                    "TableName": "TABLE",
                    "Key": {"pk": {"S": "a"}},
                    "UpdateExpression": "SET v = ",
                }
            },
            id="update-syntax-error",
        ),
        pytest.param(
            {
                "Put": {
                    "TableName": "TABLE",
                    "Item": {"pk": {"S": "a"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ExpressionAttributeValues": {":unused": {"S": "x"}},
                }
            },
            id="unused-value",
        ),
        pytest.param(
            {
                "Update": {
                    "TableName": "TABLE",
                    "Key": {"pk": {"S": "a"}},
                    "UpdateExpression": "SET pk = :v",
                    "ExpressionAttributeValues": {":v": {"S": "b"}},
                }
            },
            id="update-of-a-key",
        ),
        pytest.param(
            {
                "Put": {
                    "TableName": "TABLE",
                    "Item": {"pk": {"S": "a"}},
                    "ReturnValuesOnConditionCheckFailure": "ALL_NEW",
                }
            },
            id="bad-return-values",
        ),
    ],
)
def test_invalid_actions_are_refused(ddb_raw, make_table, action):
    table = make_table()
    action = {
        kind: {k: (table if v == "TABLE" else v) for k, v in body.items()} for kind, body in action.items()
    }
    with pytest.raises(ClientError) as exc:
        ddb_raw.transact_write_items(
            TransactItems=[action, {"Put": {"TableName": table, "Item": {"pk": {"S": "other"}}}}]
        )
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert ddb_raw.scan(TableName=table)["Items"] == []


def test_empty_transaction_is_refused(ddb_raw):
    with pytest.raises(ClientError) as exc:
        ddb_raw.transact_write_items(TransactItems=[])
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_transact_write_on_a_missing_table(ddb, make_table):
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "non-existing-table", "Item": {}}}])
    # As recorded from AWS (test_batch_write_not_existing_table).
    assert error_of(exc) == ("ResourceNotFoundException", "Requested resource not found", 400)
    table = make_table()
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "a"}}}},
                {"Put": {"TableName": "non-existing-table", "Item": {"pk": {"S": "a"}}}},
            ]
        )
    assert error_of(exc) == ("ResourceNotFoundException", "Requested resource not found", 400)
    assert ddb.scan(TableName=table)["Items"] == []


def test_transact_write_consumed_capacity_is_doubled(ddb, make_table):
    # Developer guide, transactions: two write capacity units per 1 KB of each item.
    table = make_table()
    response = ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "a"}}}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": "b"}, "d": {"S": "x" * 1500}}}},
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    [cc] = response["ConsumedCapacity"]
    assert cc["TableName"] == table
    assert cc["CapacityUnits"] == 6.0  # 2 x 1 + 2 x 2


# ---------------------------------------------------------------- idempotency


def test_client_request_token_makes_a_retry_a_no_op(ddb, make_table):
    table = make_table("id", "S", "name", "S")
    token = str(uuid.uuid4())

    def write(item):
        return ddb.transact_write_items(
            ClientRequestToken=token,
            TransactItems=[
                {"Put": {"TableName": table, "Item": item}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"id": {"S": "counter"}, "name": {"S": "c"}},
                        "UpdateExpression": "ADD hits :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ],
        )

    # As recorded from AWS (test_dynamodb_idempotent_writing): the same request again, even
    # with the item's attributes in another order, succeeds.
    assert write({"id": {"S": "id1"}, "name": {"S": "name1"}})["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert write({"name": {"S": "name1"}, "id": {"S": "id1"}})["ResponseMetadata"]["HTTPStatusCode"] == 200
    # API reference, ClientRequestToken: identical calls have the effect of one.
    counter = _item(ddb, table, id={"S": "counter"}, name={"S": "c"})
    assert counter["hits"] == {"N": "1"}


def test_client_request_token_with_another_request_is_a_mismatch(ddb, make_table):
    table = make_table()
    token = str(uuid.uuid4())
    ddb.transact_write_items(
        ClientRequestToken=token, TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "a"}}}}]
    )
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(
            ClientRequestToken=token,
            TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "b"}}}}],
        )
    # API reference, ClientRequestToken: another request with a used token is an
    # IdempotentParameterMismatch error.
    assert code_of(exc) == ("IdempotentParameterMismatchException", 400)  # message unverified
    assert _item(ddb, table, pk={"S": "b"}) is None


def test_a_cancelled_transaction_with_a_token_can_be_retried(ddb, make_table):
    table = make_table()
    token = str(uuid.uuid4())
    items = [
        {
            "Put": {
                "TableName": table,
                "Item": {"pk": {"S": "a"}},
                "ConditionExpression": "attribute_exists(ready)",
            }
        }
    ]
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(ClientRequestToken=token, TransactItems=items)
    assert code_of(exc) == ("TransactionCanceledException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(ClientRequestToken=token, TransactItems=items)
    assert code_of(exc) == ("TransactionCanceledException", 400)  # message unverified


def test_client_request_token_length(ddb_raw, make_table):
    table = make_table()
    with pytest.raises(ClientError) as exc:
        ddb_raw.transact_write_items(
            ClientRequestToken="x" * 37,
            TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "a"}}}}],
        )
    # API reference: ClientRequestToken is 1 to 36 characters.
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


# ---------------------------------------------------------------- TransactGetItems


def test_transact_get_items(ddb, tables):
    accounts, ledger = tables
    response = ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": accounts, "Key": {"pk": {"S": "bob"}}}},
            {"Get": {"TableName": accounts, "Key": {"pk": {"S": "nobody"}}}},
            {
                "Get": {
                    "TableName": table_arn(ledger),
                    "Key": {"pk": {"S": "alice"}, "sk": {"N": "1"}},
                    "ProjectionExpression": "#a",
                    "ExpressionAttributeNames": {"#a": "amount"},
                }
            },
        ]
    )
    # As recorded from AWS (test_transact_get_items): one response per Get, in order.
    assert response["Responses"] == [
        {"Item": {"pk": {"S": "bob"}, "balance": {"N": "50"}}},
        {},
        {"Item": {"amount": {"N": "100"}}},
    ]


def test_transact_get_consumed_capacity_is_doubled(ddb, tables):
    accounts, _ = tables
    response = ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": accounts, "Key": {"pk": {"S": "alice"}}}},
            {"Get": {"TableName": accounts, "Key": {"pk": {"S": "bob"}}}},
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    # Developer guide, transactions: two read capacity units per 4 KB of each item.
    [cc] = response["ConsumedCapacity"]
    assert cc["CapacityUnits"] == 4.0


def test_transact_get_limits_and_errors(ddb, make_table):
    table = make_table()
    ddb.transact_get_items(
        TransactItems=[{"Get": {"TableName": table, "Key": {"pk": {"S": f"k{i}"}}}} for i in range(100)]
    )
    with pytest.raises(ClientError) as exc:
        ddb.transact_get_items(
            TransactItems=[{"Get": {"TableName": table, "Key": {"pk": {"S": f"k{i}"}}}} for i in range(101)]
        )
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": {"pk": {"N": "1"}}}}])
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.transact_get_items(
            TransactItems=[
                {"Get": {"TableName": table, "Key": {"pk": {"S": "a"}}, "ProjectionExpression": "a,"}}
            ]
        )
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.transact_get_items(
            TransactItems=[{"Get": {"TableName": "no-such-table", "Key": {"pk": {"S": "a"}}}}]
        )
    code, message, status = error_of(exc)
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert message.startswith("Requested resource not found")
