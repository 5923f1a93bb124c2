"""SQS over the query protocol (Action=...&Version=...), as older SDKs speak it.

botocore's current SQS model is JSON-only. Older SDKs are built from the query model SQS had
before (2012-11-05, ``Attribute.N.Name``, flattened ``<Message>``), which Cloudlet ships as a
botocore data directory: loaded into botocore, it gives botocore's own query serializer and
parser, and real boto3 clients that speak query (:func:`legacy_client`).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from cloudlet.protocol.model import query_model_dir


def legacy_session() -> botocore.session.Session:
    """A botocore session whose SQS model is the legacy query one Cloudlet ships."""
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(query_model_dir("sqs")))
    return session


def legacy_client(endpoint: str, region: str = "us-east-1", **kwargs: Any) -> Any:
    """A boto3 SQS client speaking the query protocol, as boto3 did before SQS moved to JSON."""
    session = boto3.Session(
        botocore_session=legacy_session(),
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name=region,
    )
    config = kwargs.pop("config", None) or Config(retries={"max_attempts": 1, "mode": "standard"})
    return session.client("sqs", api_version="2012-11-05", endpoint_url=endpoint, config=config, **kwargs)


class QueryError(Exception):
    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__(response.get("Error"))
        self.response = response


class SqsQueryClient:
    """A minimal SQS client speaking the query protocol to ``endpoint``."""

    def __init__(self, endpoint: str, access_key: str = "test", region: str = "us-east-1") -> None:
        self.model = legacy_session().get_service_model("sqs", api_version="2012-11-05")
        assert self.model.protocol == "query"
        self.serializer = create_serializer("query", include_validation=False)
        self.parser = create_parser("query")
        self.endpoint = endpoint
        self.auth = (
            f"AWS4-HMAC-SHA256 Credential={access_key}/20260101/{region}/sqs/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=0000"
        )

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        op = self.model.operation_model(operation)
        request = self.serializer.serialize_to_request(params, op)
        body = "&".join(f"{k}={_quote(str(v))}" for k, v in request["body"].items()).encode()
        http = urllib.request.Request(
            self.endpoint + "/",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Authorization": self.auth,
            },
        )
        try:
            with urllib.request.urlopen(http, timeout=60) as resp:
                status, headers, raw = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            status, headers, raw = err.code, dict(err.headers), err.read()
        parsed = self.parser.parse({"status_code": status, "headers": headers, "body": raw}, op.output_shape)
        parsed.setdefault("ResponseMetadata", {})["HTTPStatusCode"] = status
        if status >= 300:
            raise QueryError(parsed)
        return parsed


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="-_.~")
