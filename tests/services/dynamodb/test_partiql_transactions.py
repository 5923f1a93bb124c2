"""ExecuteTransaction's answers: Responses of reads and of writes, consumed capacity.

Recorded AWS answers (aws-reference test_dynamodb, test_dynamodb_execute_transaction): a
transaction of writes answers ``Responses: []``. The API reference: a read-only transaction
answers one ItemResponse per statement, in order; ConsumedCapacity follows the statements.
"""

from __future__ import annotations

import pytest

from .conftest import to_ddb


@pytest.fixture
def users(ddb, make_table):
    name = make_table("Username")
    ddb.put_item(TableName=name, Item=to_ddb({"Username": "ann", "Age": 30, "City": "Oslo"}))
    ddb.put_item(TableName=name, Item=to_ddb({"Username": "bob", "Age": 40}))
    return name


def test_a_read_only_transaction_answers_an_item_per_statement(ddb, users):
    answer = ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"SELECT * FROM \"{users}\" WHERE Username = 'ann'"},
            {"Statement": f'SELECT Age FROM "{users}" WHERE Username = ?', "Parameters": [{"S": "bob"}]},
            {"Statement": f"SELECT * FROM \"{users}\" WHERE Username = 'nobody'"},
        ]
    )
    assert answer["Responses"] == [
        {"Item": to_ddb({"Username": "ann", "Age": 30, "City": "Oslo"})},
        {"Item": to_ddb({"Age": 40})},
        {},
    ]


def test_a_write_transaction_answers_empty_responses(ddb, users):
    answer = ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"INSERT INTO \"{users}\" VALUE {{'Username': 'cat'}}"},
            {"Statement": f"UPDATE \"{users}\" SET Age = 31 WHERE Username = 'ann'"},
        ]
    )
    assert answer["Responses"] == []  # as recorded
    assert ddb.get_item(TableName=users, Key=to_ddb({"Username": "cat"}))["Item"] == to_ddb(
        {"Username": "cat"}
    )


def test_consumed_capacity_of_a_transaction(ddb, users):
    answer = ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"SELECT * FROM \"{users}\" WHERE Username = 'ann'"},
            {"Statement": f"SELECT * FROM \"{users}\" WHERE Username = 'bob'"},
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    # Two transactional reads of items under 4 KB: 2 units each, as TransactGetItems counts them.
    assert answer["ConsumedCapacity"] == [
        {"TableName": users, "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0}
    ]
    answer = ddb.execute_transaction(
        TransactStatements=[{"Statement": f"UPDATE \"{users}\" SET Age = 41 WHERE Username = 'bob'"}],
        ReturnConsumedCapacity="TOTAL",
    )
    assert answer["ConsumedCapacity"] == [
        {"TableName": users, "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}
    ]
