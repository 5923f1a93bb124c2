"""After kill -9 and a restart, due work resumes without waiting for a first request."""

from __future__ import annotations

import time
import uuid

from cloudlet.testing.server import ServerProcess, client


def test_ttl_and_lifecycle_sweeps_resume_at_start_up(tmp_path):
    """Was: only services with timers were started, so after a restart DynamoDB TTL and S3
    lifecycle did nothing until the service's first request."""
    server = ServerProcess(str(tmp_path)).start()
    bucket = f"resume-{uuid.uuid4().hex[:10]}"
    try:
        ddb = client("dynamodb", server.endpoint)
        ddb.create_table(
            TableName="sessions",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.update_time_to_live(
            TableName="sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
        )
        now = server.clock()["now"]
        ddb.put_item(TableName="sessions", Item={"id": {"S": "a"}, "expires": {"N": str(int(now + 100))}})
        s3 = client("s3", server.endpoint)
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={
                "Rules": [
                    {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}
                ]
            },
        )
        s3.put_object(Bucket=bucket, Key="old", Body=b"x")
    finally:
        server.kill()
    server.start()
    try:
        server.advance_clock(3 * 86400)  # the first thing the restarted server is asked
        time.sleep(0.2)
        ddb = client("dynamodb", server.endpoint)
        s3 = client("s3", server.endpoint)
        # A read right after would load a provider that was not running: it must already be
        # done, not started by this request.
        assert ddb.scan(TableName="sessions")["Items"] == []
        assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    finally:
        server.kill()
