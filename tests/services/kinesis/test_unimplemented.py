"""Operations not served yet answer an AWS-shaped NotImplemented naming them."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import stream_arn


def test_unserved_operations_answer_not_implemented(kinesis, make_stream):
    name = make_stream(shards=2)
    calls = (
        lambda: kinesis.describe_limits(),
        lambda: kinesis.describe_account_settings(),
        lambda: kinesis.update_max_record_size(StreamARN=stream_arn(name), MaxRecordSizeInKiB=2048),
    )
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        error = exc.value.response
        assert error["Error"]["Code"] == "NotImplemented"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
        assert "is not implemented by Cloudlet yet" in error["Error"]["Message"]
