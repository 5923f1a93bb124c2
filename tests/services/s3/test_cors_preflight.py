"""Browser requests to buckets without a CORS configuration, answered as S3 answers them.

Expectations: ``test_s3_cors.snapshot.json`` (test_cors_http_options_no_config,
test_cors_http_options_non_existent_bucket, test_cors_http_get_no_config: no CORS headers);
statuses from the S3 "Error responses" list (BadRequest 400, AccessForbidden 403).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .conftest import raw_request, recorded, unique_name

ORIGIN = "http://app.example"


def cors_error(reply) -> dict[str, str]:
    return {k: v for k, v in reply.error.items() if k not in ("RequestId", "HostId")}


def recorded_error(step: str, test: str = "test_cors_http_options_no_config") -> dict[str, str]:
    error = recorded(test, "test_s3_cors")[step]["Error"]
    return {k: v for k, v in error.items() if k not in ("RequestId", "HostId")}


def test_preflight_to_a_bucket_without_cors_configuration(cloudlet, bucket):
    def options(path: str, headers: dict[str, str]):
        return raw_request(cloudlet.endpoint, "OPTIONS", path, headers=headers, sign=False)

    reply = options(f"/{bucket}", {})
    assert reply.status == 400
    assert cors_error(reply) == recorded_error("options-no-origin")
    reply = options(f"/{bucket}", {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"})
    assert reply.status == 403
    assert cors_error(reply) == recorded_error("options-with-origin-and-method")
    assert not [h for h in reply.headers if h.startswith("access-control-")]
    reply = options(f"/{bucket}", {"Origin": ORIGIN})
    assert reply.status == 403
    assert cors_error(reply) == recorded_error("options-with-origin-no-method")
    # to an object of the bucket: the same, for an OBJECT (unverified: recorded for the bucket)
    reply = options(f"/{bucket}/key", {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert reply.status == 403
    assert (reply.error["Code"], reply.error["ResourceType"]) == ("AccessForbidden", "OBJECT")


def test_preflight_to_a_missing_bucket_on_an_s3_host(cloudlet):
    host = f"{unique_name('gone')}.s3.localhost:{urlsplit(cloudlet.endpoint).port}"
    reply = raw_request(cloudlet.endpoint, "OPTIONS", "/", host=host, sign=False)
    assert reply.status == 400
    assert cors_error(reply) == recorded_error(
        "options-no-origin", "test_cors_http_options_non_existent_bucket"
    )
    reply = raw_request(cloudlet.endpoint, "OPTIONS", "/", host=host, headers={"Origin": ORIGIN}, sign=False)
    assert reply.status == 403
    assert cors_error(reply) == recorded_error(
        "options-with-origin", "test_cors_http_options_non_existent_bucket"
    )


def test_actual_requests_to_a_bucket_without_cors_get_no_cors_headers(cloudlet, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    reply = raw_request(cloudlet.endpoint, "GET", f"/{bucket}/k", headers={"Origin": ORIGIN}, sign=False)
    assert (reply.status, reply.body) == (200, b"x")
    assert not [h for h in reply.headers if h.startswith("access-control-")]


def test_a_bucket_named_like_another_services_path_keeps_that_services_cors(cloudlet, s3, make_bucket):
    # A preflight for Lambda's REST API is not S3's, even with a bucket of that name.
    make_bucket(name="2015-03-31")
    reply = raw_request(
        cloudlet.endpoint,
        "OPTIONS",
        "/2015-03-31/functions",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        sign=False,
    )
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == ORIGIN


def test_a_bucket_with_rules_still_answers_by_them(cloudlet, s3, bucket):
    rules = [{"AllowedOrigins": [ORIGIN], "AllowedMethods": ["GET"]}]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    reply = raw_request(
        cloudlet.endpoint,
        "OPTIONS",
        f"/{bucket}",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
        sign=False,
    )
    assert (reply.status, reply.headers["access-control-allow-origin"]) == (200, ORIGIN)
    reply = raw_request(
        cloudlet.endpoint,
        "OPTIONS",
        f"/{bucket}",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"},
        sign=False,
    )
    assert reply.status == 403
    assert (reply.error["Method"], reply.error["ResourceType"]) == ("DELETE", "BUCKET")
