"""Settings kept beside a table: WarmThroughput, point-in-time recovery (continuous backups) and
Contributor Insights.

Where the expectations come from:

- Recorded AWS answers (aws-reference test_dynamodb): test_table_crud, test_table_warm_throughput,
  test_gsi_with_billing_mode (WarmThroughput), test_continuous_backup_update,
  test_dynamodb_describe_contributor_insights.
- Measurements of live AWS published with their messages (WarmThroughput decreases and
  defaults, UpdateTable's one-change rule, RecoveryPeriodInDays on disabling).
- The AWS CLI reference examples (UpdateContributorInsights answers ENABLING).
- Anything else is checked by code only (``# message unverified``).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client

from .conftest import code_of, error_of, gsi, key_schema, unique

ON_DEMAND_WARM = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}


def _table(ddb, name: str) -> dict:
    return ddb.describe_table(TableName=name)["Table"]


def _insights(ddb, name: str, index: str | None = None) -> str:
    params = {"TableName": name, **({"IndexName": index} if index else {})}
    return ddb.describe_contributor_insights(**params)["ContributorInsightsStatus"]


# ---------------------------------------------------------------- WarmThroughput


def test_warm_throughput_defaults_as_recorded(ddb, make_table):
    on_demand = make_table(attributes={"g": "S"}, gsis=[gsi("by-g", "g")])
    table = _table(ddb, on_demand)
    assert table["WarmThroughput"] == ON_DEMAND_WARM
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == ON_DEMAND_WARM
    provisioned = make_table(
        attributes={"g": "S"},
        gsis=[gsi("by-g", "g", throughput={"read": 1, "write": 1})],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    table = _table(ddb, provisioned)
    assert table["WarmThroughput"] == {"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 5, "Status": "ACTIVE"}
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 1,
        "WriteUnitsPerSecond": 1,
        "Status": "ACTIVE",
    }


def test_create_and_delete_answers_carry_warm_throughput_only_when_asked(ddb):
    name = unique("warm")
    created = ddb.create_table(
        TableName=name,
        KeySchema=key_schema("id"),
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        WarmThroughput={"ReadUnitsPerSecond": 1000, "WriteUnitsPerSecond": 1200},
    )["TableDescription"]
    assert created["WarmThroughput"] == {
        "ReadUnitsPerSecond": 1000,
        "WriteUnitsPerSecond": 1200,
        "Status": "UPDATING",
    }
    assert _table(ddb, name)["WarmThroughput"] == {
        "ReadUnitsPerSecond": 1000,
        "WriteUnitsPerSecond": 1200,
        "Status": "ACTIVE",
    }
    deleted = ddb.delete_table(TableName=name)["TableDescription"]
    assert "WarmThroughput" not in deleted
    plain = unique("warm")
    created = ddb.create_table(
        TableName=plain,
        KeySchema=key_schema("id"),
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]
    assert "WarmThroughput" not in created
    ddb.delete_table(TableName=plain)


def test_a_member_left_out_takes_the_default(ddb, make_table):
    name = make_table(WarmThroughput={"ReadUnitsPerSecond": 12001})
    assert _table(ddb, name)["WarmThroughput"] == {
        "ReadUnitsPerSecond": 12001,
        "WriteUnitsPerSecond": 4000,
        "Status": "ACTIVE",
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param(
            {
                "BillingMode": "PAY_PER_REQUEST",
                "WarmThroughput": {"ReadUnitsPerSecond": 1, "WriteUnitsPerSecond": 1},
            },
            "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for table "
            "is lower than initial throughput for OnDemand. See: https://docs.aws.amazon.com/amazondynamodb/latest/"
            "developerguide/on-demand-capacity-mode.html#on-demand-capacity-mode-initial",
            id="below-on-demand",
        ),
        pytest.param(
            {
                "ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": 10},
                "WarmThroughput": {"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 5},
            },
            "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for table "
            "is lower than ReadCapacityUnits of ProvisionedThroughput",
            id="below-provisioned",
        ),
    ],
)
def test_create_refuses_warm_throughput_below_the_base(ddb, params, message):
    with pytest.raises(ClientError) as exc:
        ddb.create_table(
            TableName=unique("warm"),
            KeySchema=key_schema("id"),
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            **params,
        )
    assert error_of(exc) == ("ValidationException", message, 400)


def test_update_table_raises_warm_throughput(ddb, make_table):
    name = make_table()
    answer = ddb.update_table(
        TableName=name, WarmThroughput={"ReadUnitsPerSecond": 12001, "WriteUnitsPerSecond": 4001}
    )["TableDescription"]
    assert answer["TableStatus"] == "ACTIVE"
    # The answer shows the values in force, UPDATING (measured); then the new ones are in force.
    assert answer["WarmThroughput"] == {**ON_DEMAND_WARM, "Status": "UPDATING"}
    assert _table(ddb, name)["WarmThroughput"] == {
        "ReadUnitsPerSecond": 12001,
        "WriteUnitsPerSecond": 4001,
        "Status": "ACTIVE",
    }
    ddb.update_table(TableName=name, WarmThroughput={"WriteUnitsPerSecond": 4002})
    assert _table(ddb, name)["WarmThroughput"]["WriteUnitsPerSecond"] == 4002
    assert _table(ddb, name)["WarmThroughput"]["ReadUnitsPerSecond"] == 12001
    ddb.update_table(TableName=name, WarmThroughput={"ReadUnitsPerSecond": 12001})  # equal: accepted
    with pytest.raises(ClientError) as exc:
        ddb.update_table(TableName=name, WarmThroughput={"ReadUnitsPerSecond": 12000})
    assert error_of(exc) == (
        "ValidationException",
        "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for table is "
        "lower than current WarmThroughput, decreasing WarmThroughput is not supported",
        400,
    )


def test_warm_throughput_must_be_the_only_change(ddb, make_table):
    name = make_table()
    with pytest.raises(ClientError) as exc:
        ddb.update_table(
            TableName=name,
            WarmThroughput={"ReadUnitsPerSecond": 13000},
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
        )
    assert error_of(exc) == (
        "ValidationException",
        "One or more parameter values were invalid: WarmThroughput must be the only operation in the request",
        400,
    )
    with pytest.raises(ClientError) as exc:
        ddb.update_table(
            TableName=name, WarmThroughput={"ReadUnitsPerSecond": 13000}, DeletionProtectionEnabled=True
        )
    assert error_of(exc) == (
        "ValidationException",
        "One or more parameter values were invalid: DeletionProtection modification must be the only operation "
        "in the request",
        400,
    )
    with pytest.raises(ClientError) as exc:
        ddb.update_table(
            TableName=name,
            WarmThroughput={"ReadUnitsPerSecond": 13000},
            AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[{"Create": gsi("by-g", "g")}],
        )
    assert error_of(exc) == (
        "ValidationException",
        "One or more parameter values were invalid: Create global secondary index cannot be specified when "
        "updating WarmThroughput",
        400,
    )
    table = _table(ddb, name)
    assert table["WarmThroughput"] == ON_DEMAND_WARM
    assert "StreamSpecification" not in table and table["DeletionProtectionEnabled"] is False


def test_update_gsi_warm_throughput(ddb, make_table):
    name = make_table(attributes={"g": "S"}, gsis=[gsi("by-g", "g")])
    answer = ddb.update_table(
        TableName=name,
        GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": "by-g", "WarmThroughput": {"ReadUnitsPerSecond": 15000}}}
        ],
    )["TableDescription"]
    assert answer["GlobalSecondaryIndexes"][0]["WarmThroughput"]["ReadUnitsPerSecond"] == 12000
    assert _table(ddb, name)["GlobalSecondaryIndexes"][0]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 15000,
        "WriteUnitsPerSecond": 4000,
        "Status": "ACTIVE",
    }
    assert _table(ddb, name)["WarmThroughput"] == ON_DEMAND_WARM
    with pytest.raises(ClientError) as exc:
        ddb.update_table(
            TableName=name,
            GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g", "WarmThroughput": {}}}],
        )
    assert error_of(exc) == (
        "ValidationException",
        "One or more parameter values were invalid: WarmThroughput must have at least one of ReadUnitsPerSecond "
        "or WriteUnitsPerSecond specified for index: by-g",
        400,
    )
    with pytest.raises(ClientError) as exc:
        ddb.update_table(
            TableName=name,
            GlobalSecondaryIndexUpdates=[
                {"Update": {"IndexName": "by-g", "WarmThroughput": {"ReadUnitsPerSecond": 14000}}}
            ],
        )
    assert error_of(exc) == (
        "ValidationException",
        "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for index "
        "by-g is lower than current WarmThroughput, decreasing WarmThroughput is not supported",
        400,
    )
    with pytest.raises(ClientError) as exc:
        ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g"}}])
    assert error_of(exc) == (
        "ValidationException",
        "One or more parameter values were invalid: The only Updates for index: by-g when TableThroughputMode is "
        "PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput",
        400,
    )


def test_gsi_warm_throughput_on_a_provisioned_table(ddb, make_table):
    name = make_table(
        attributes={"g": "S"},
        gsis=[gsi("by-g", "g", throughput={"read": 2, "write": 2})],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    ddb.update_table(
        TableName=name,
        GlobalSecondaryIndexUpdates=[
            {
                "Update": {
                    "IndexName": "by-g",
                    "WarmThroughput": {"ReadUnitsPerSecond": 50, "WriteUnitsPerSecond": 60},
                }
            }
        ],
    )
    entry = _table(ddb, name)["GlobalSecondaryIndexes"][0]
    assert entry["WarmThroughput"] == {
        "ReadUnitsPerSecond": 50,
        "WriteUnitsPerSecond": 60,
        "Status": "ACTIVE",
    }
    assert entry["ProvisionedThroughput"]["ReadCapacityUnits"] == 2


# ---------------------------------------------------------------- continuous backups


def test_continuous_backups_of_a_new_table(ddb, make_table):
    name = make_table()
    described = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert described == {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
    }


def test_point_in_time_recovery_on_and_off(ddb, make_table, cloudlet):
    name = make_table()
    answer = ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )["ContinuousBackupsDescription"]
    pitr = answer["PointInTimeRecoveryDescription"]
    assert answer["ContinuousBackupsStatus"] == "ENABLED"
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    assert pitr["RecoveryPeriodInDays"] == 35  # the default, as recorded
    assert isinstance(pitr["EarliestRestorableDateTime"], datetime)
    assert isinstance(pitr["LatestRestorableDateTime"], datetime)
    assert ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"] == answer
    cloudlet.advance_clock(3600)
    later = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    latest = later["PointInTimeRecoveryDescription"]["LatestRestorableDateTime"]
    assert latest > pitr["LatestRestorableDateTime"]
    assert (
        later["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"]
        == pitr["EarliestRestorableDateTime"]
    )
    answer = ddb.update_continuous_backups(
        TableName=name,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
    )["ContinuousBackupsDescription"]
    assert answer["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 7
    with pytest.raises(ClientError) as exc:
        ddb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 7},
        )
    assert error_of(exc) == (
        "ValidationException",
        "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.",
        400,
    )
    answer = ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )["ContinuousBackupsDescription"]
    assert answer == {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
    }


def test_continuous_backups_of_a_missing_table(ddb):
    name = unique("missing")
    for call in (
        lambda: ddb.describe_continuous_backups(TableName=name),
        lambda: ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("TableNotFoundException", f"Table not found: {name}", 400)


def test_recovery_period_out_of_range(ddb_raw, make_table):
    name = make_table()
    with pytest.raises(ClientError) as exc:
        ddb_raw.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 36},
        )
    assert code_of(exc) == ("ValidationException", 400)


# ---------------------------------------------------------------- contributor insights


def test_contributor_insights_disabled_at_first(ddb, make_table):
    name = make_table()
    answer = ddb.describe_contributor_insights(TableName=name)
    answer.pop("ResponseMetadata")
    assert answer == {"TableName": name, "ContributorInsightsStatus": "DISABLED"}  # as recorded


def test_contributor_insights_on_a_table_and_an_index(ddb, make_table):
    name = make_table("pk", range_key="sk", attributes={"g": "S"}, gsis=[gsi("by-g", "g")])
    answer = ddb.update_contributor_insights(TableName=name, ContributorInsightsAction="ENABLE")
    assert answer["TableName"] == name
    assert answer["ContributorInsightsStatus"] == "ENABLING"
    described = ddb.describe_contributor_insights(TableName=name)
    assert described["ContributorInsightsStatus"] == "ENABLED"
    assert described["ContributorInsightsMode"] == "ACCESSED_AND_THROTTLED_KEYS"
    assert isinstance(described["LastUpdateDateTime"], datetime)
    assert described["ContributorInsightsRuleList"]
    assert all(
        rule.startswith("DynamoDBContributorInsights-") for rule in described["ContributorInsightsRuleList"]
    )
    assert _insights(ddb, name, "by-g") == "DISABLED"
    answer = ddb.update_contributor_insights(
        TableName=name,
        IndexName="by-g",
        ContributorInsightsAction="ENABLE",
        ContributorInsightsMode="THROTTLED_KEYS",
    )
    assert (answer["IndexName"], answer["ContributorInsightsStatus"]) == ("by-g", "ENABLING")
    assert answer["ContributorInsightsMode"] == "THROTTLED_KEYS"
    described = ddb.describe_contributor_insights(TableName=name, IndexName="by-g")
    assert (described["IndexName"], described["ContributorInsightsStatus"]) == ("by-g", "ENABLED")
    assert described["ContributorInsightsMode"] == "THROTTLED_KEYS"
    listed = ddb.list_contributor_insights(TableName=name)["ContributorInsightsSummaries"]
    assert sorted((s.get("IndexName", ""), s["ContributorInsightsStatus"]) for s in listed) == [
        ("", "ENABLED"),
        ("by-g", "ENABLED"),
    ]
    answer = ddb.update_contributor_insights(TableName=name, ContributorInsightsAction="DISABLE")
    assert answer["ContributorInsightsStatus"] == "DISABLING"
    assert _insights(ddb, name) == "DISABLED"
    assert _insights(ddb, name, "by-g") == "ENABLED"


def test_contributor_insights_errors(ddb, make_table):
    name = make_table()
    with pytest.raises(ClientError) as exc:
        ddb.describe_contributor_insights(TableName=unique("missing"))
    assert code_of(exc) == ("ResourceNotFoundException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.update_contributor_insights(TableName=unique("missing"), ContributorInsightsAction="ENABLE")
    assert code_of(exc) == ("ResourceNotFoundException", 400)  # message unverified
    for call in (
        lambda: ddb.describe_contributor_insights(TableName=name, IndexName="no-such-index"),
        lambda: ddb.update_contributor_insights(
            TableName=name, IndexName="no-such-index", ContributorInsightsAction="ENABLE"
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == ("ResourceNotFoundException", 400)  # message unverified


def test_settings_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        ddb = client("dynamodb", server.endpoint)
        ddb.create_table(
            TableName="settings",
            KeySchema=key_schema("id"),
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.update_table(TableName="settings", WarmThroughput={"ReadUnitsPerSecond": 20000})
        ddb.update_continuous_backups(
            TableName="settings",
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 3},
        )
        ddb.update_contributor_insights(TableName="settings", ContributorInsightsAction="ENABLE")
    finally:
        server.kill()
    server.start()
    try:
        ddb = client("dynamodb", server.endpoint)
        assert (
            ddb.describe_table(TableName="settings")["Table"]["WarmThroughput"]["ReadUnitsPerSecond"] == 20000
        )
        pitr = ddb.describe_continuous_backups(TableName="settings")["ContinuousBackupsDescription"]
        assert pitr["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 3
        assert _insights(ddb, "settings") == "ENABLED"
    finally:
        server.kill()
