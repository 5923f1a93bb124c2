"""SQS over the query protocol (Action=...&Version=...), as older SDKs speak it.

botocore's current SQS model is JSON-only; this reuses that model with botocore's own
query serializer and parser, so requests and answers are what a query SDK sees.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import botocore.session
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer


class QueryError(Exception):
    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__(response.get("Error"))
        self.response = response


class SqsQueryClient:
    """A minimal SQS client speaking the query protocol to ``endpoint``."""

    def __init__(self, endpoint: str, access_key: str = "test", region: str = "us-east-1") -> None:
        data = (
            botocore.session.get_session().get_component("data_loader").load_service_model("sqs", "service-2")
        )
        data["metadata"] = {**data["metadata"], "protocol": "query", "protocols": ["query"]}
        for name, op in data["operations"].items():
            if "output" in op:  # query answers wrap the output in <{Operation}Result>
                op["output"] = {**op["output"], "resultWrapper": f"{name}Result"}
        self.model = ServiceModel(data, "sqs")
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
