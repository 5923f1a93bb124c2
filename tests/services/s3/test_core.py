"""S3's first slice end to end: buckets, objects on disk, listings, versions, copies, multipart,
notifications to SQS, and durability across kill -9."""

from __future__ import annotations

import io
import json
import os
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client


@pytest.fixture
def s3(aws_client):
    return aws_client("s3", config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}))


@pytest.fixture
def bucket(s3):
    name = f"core-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def error(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as err:
        call()
    e = err.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"].get("Message", "")


def test_bucket_lifecycle_and_names(s3, bucket):
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=bucket)
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None
    s3.create_bucket(Bucket=bucket)  # again by its owner in us-east-1: succeeds, as on S3
    for bad in ("ab", "UPPER", "a..b", "192.168.1.1", "-start", "xn--abc", "end-s3alias"):
        assert error(lambda b=bad: s3.create_bucket(Bucket=b))[:2] == ("InvalidBucketName", 400)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert error(lambda: s3.delete_bucket(Bucket=bucket))[:2] == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)
    assert error(lambda: s3.head_bucket(Bucket=bucket))[:2] == ("404", 404)
    assert error(lambda: s3.get_object(Bucket=bucket, Key="k"))[:2] == ("NoSuchBucket", 404)


def test_objects_round_trip_with_metadata_ranges_and_conditions(s3, bucket):
    body = os.urandom(3 * 1024 * 1024 + 7)
    put = s3.put_object(
        Bucket=bucket, Key="dir/obj", Body=body, ContentType="text/x", Metadata={"Who": "me"}, Tagging="a=1"
    )
    got = s3.get_object(Bucket=bucket, Key="dir/obj")
    assert got["Body"].read() == body and got["ETag"] == put["ETag"]
    assert (got["ContentType"], got["Metadata"], got["TagCount"]) == ("text/x", {"who": "me"}, 1)
    part = s3.get_object(Bucket=bucket, Key="dir/obj", Range="bytes=10-19")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["Body"].read() == body[10:20] and part["ContentRange"] == f"bytes 10-19/{len(body)}"
    assert s3.get_object(Bucket=bucket, Key="dir/obj", Range="bytes=-5")["Body"].read() == body[-5:]
    assert error(lambda: s3.get_object(Bucket=bucket, Key="dir/obj", Range=f"bytes={len(body)}-"))[:2] == (
        "InvalidRange",
        416,
    )
    assert error(lambda: s3.get_object(Bucket=bucket, Key="dir/obj", IfMatch='"nope"'))[:2] == (
        "PreconditionFailed",
        412,
    )
    assert error(lambda: s3.get_object(Bucket=bucket, Key="dir/obj", IfNoneMatch=put["ETag"]))[1] == 304
    head = s3.head_object(Bucket=bucket, Key="dir/obj", ResponseContentType="a/b")
    assert head["ContentLength"] == len(body) and head["ContentType"] == "a/b"
    code, status, message = error(lambda: s3.get_object(Bucket=bucket, Key="missing"))
    assert (code, status, message) == ("NoSuchKey", 404, "The specified key does not exist.")
    assert error(lambda: s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b""))[:2] == (
        "KeyTooLongError",
        400,
    )


def test_checksums_are_checked_and_returned(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="c", Body=b"abc", ChecksumAlgorithm="CRC32C")
    got = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32C"] == put["ChecksumCRC32C"] == "Nks/tw=="
    code, status, _ = error(
        lambda: s3.put_object(Bucket=bucket, Key="d", Body=b"abc", ContentMD5="AAAAAAAAAAAAAAAAAAAAAA==")
    )
    assert (code, status) == ("BadDigest", 400)


def test_listing_with_delimiters_and_pages(s3, bucket):
    keys = ["a/1", "a/2", "a/b/3", "b", "c/4", "é"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["b", "é"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "c/"]
    seen, token = [], None
    while True:
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=2, **({"ContinuationToken": token} if token else {}))
        seen += [o["Key"] for o in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == keys
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket, Prefix="a/", Marker="a/1")["Contents"]] == [
        "a/2",
        "a/b/3",
    ]


def test_versions_delete_markers_and_copies(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"two")
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"one"
    marker = s3.delete_object(Bucket=bucket, Key="k")
    assert marker["DeleteMarker"] is True
    assert error(lambda: s3.get_object(Bucket=bucket, Key="k"))[:2] == ("NoSuchKey", 404)
    versions = s3.list_object_versions(Bucket=bucket)
    assert len(versions["Versions"]) == 2 and versions["DeleteMarkers"][0]["IsLatest"] is True
    s3.delete_object(Bucket=bucket, Key="k", VersionId=marker["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    copied = s3.copy_object(
        Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "k", "VersionId": v1}
    )
    assert copied["CopySourceVersionId"] == v1
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"one"


def test_multipart_upload_composes_parts(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    first, last = os.urandom(5 * 1024 * 1024), b"end"
    e1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=first)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=2, Body=last)["ETag"]
    bad = {"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]}
    assert (
        error(
            lambda: s3.complete_multipart_upload(
                Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=bad
            )
        )[0]
        == "InvalidPartOrder"
    )
    wrong = {"Parts": [{"PartNumber": 1, "ETag": '"00"'}]}
    assert (
        error(
            lambda: s3.complete_multipart_upload(
                Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=wrong
            )
        )[0]
        == "InvalidPart"
    )
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]},
    )
    assert done["ETag"].endswith('-2"')
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == first + last
    assert error(lambda: s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload))[:2] == ("NoSuchUpload", 404)
    s3.upload_fileobj(io.BytesIO(b"z" * (11 * 1024 * 1024)), bucket, "managed")
    assert s3.head_object(Bucket=bucket, Key="managed")["ContentLength"] == 11 * 1024 * 1024


def test_notifications_reach_an_sqs_queue(s3, bucket, aws_client):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    config = {
        "QueueConfigurations": [
            {
                "QueueArn": arn,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}},
            }
        ]
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    test = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert json.loads(test["Body"])["Event"] == "s3:TestEvent"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=test["ReceiptHandle"])
    s3.put_object(Bucket=bucket, Key="in/a b.txt", Body=b"hi")
    s3.put_object(Bucket=bucket, Key="out/x", Body=b"hi")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    records = [json.loads(m["Body"])["Records"][0] for m in messages]
    assert [(r["eventName"], r["s3"]["object"]["key"], r["s3"]["object"]["size"]) for r in records] == [
        ("ObjectCreated:Put", "in/a+b.txt", 2)
    ]
    missing = {"QueueConfigurations": [{"QueueArn": arn + "-gone", "Events": ["s3:ObjectCreated:*"]}]}
    code, status, _ = error(
        lambda: s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=missing)
    )
    assert (code, status) == ("InvalidArgument", 400)


def test_bucket_settings_are_stored(s3, bucket):
    assert error(lambda: s3.get_bucket_policy(Bucket=bucket))[:2] == ("NoSuchBucketPolicy", 404)
    assert error(lambda: s3.put_bucket_policy(Bucket=bucket, Policy="not json"))[:2] == (
        "MalformedPolicy",
        400,
    )
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "a", "Value": "b"}]
    rules = [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    s3.delete_bucket_cors(Bucket=bucket)
    assert error(lambda: s3.get_bucket_cors(Bucket=bucket))[0] == "NoSuchCORSConfiguration"
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") is None


def test_objects_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    body = os.urandom(9 * 1024 * 1024)  # spooled to disk on the way in
    try:
        s3 = client("s3", server.endpoint, config=Config(s3={"addressing_style": "path"}))
        s3.create_bucket(Bucket="durable")
        s3.put_object(Bucket="durable", Key="big", Body=body)
        s3.put_object(Bucket="durable", Key="small", Body=b"s")
        s3.delete_object(Bucket="durable", Key="small")
        s3.put_object(Bucket="durable", Key="kept-in-its-row", Body=b"k" * 1000)
        s3.copy_object(
            Bucket="durable", Key="copy", CopySource={"Bucket": "durable", "Key": "kept-in-its-row"}
        )
    finally:
        server.kill()
    server.start()
    try:
        s3 = client("s3", server.endpoint, config=Config(s3={"addressing_style": "path"}))
        assert s3.get_object(Bucket="durable", Key="big")["Body"].read() == body
        assert s3.get_object(Bucket="durable", Key="kept-in-its-row")["Body"].read() == b"k" * 1000
        assert s3.get_object(Bucket="durable", Key="copy", Range="bytes=10-19")["Body"].read() == b"k" * 10
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="durable")["Contents"]]
        assert keys == ["big", "copy", "kept-in-its-row"]
    finally:
        server.kill()


def test_presigned_urls_work_until_they_expire(s3, bucket, cloudlet, aws_client):
    import urllib.error
    import urllib.request

    s3.put_object(Bucket=bucket, Key="shared", Body=b"secret")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared"}, ExpiresIn=60)
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.read() == b"secret"
    # SigV2 signs the Content-Type, which urllib sends with a body
    put_params = {"Bucket": bucket, "Key": "up", "ContentType": "text/plain"}
    put_url = s3.generate_presigned_url("put_object", Params=put_params, ExpiresIn=60)
    request = urllib.request.Request(
        put_url, data=b"uploaded", method="PUT", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
    assert s3.get_object(Bucket=bucket, Key="up")["Body"].read() == b"uploaded"
    v4 = aws_client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    url_v4 = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared"}, ExpiresIn=60)
    assert "X-Amz-Expires=60" in url_v4
    with urllib.request.urlopen(url_v4, timeout=10) as resp:
        assert resp.read() == b"secret"
    cloudlet.advance_clock(120)
    for expired in (url, url_v4):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(expired, timeout=10)
        assert err.value.code == 403
        body = err.value.read()
        assert b"<Code>AccessDenied</Code>" in body and b"<Message>Request has expired</Message>" in body
    fresh = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared"}, ExpiresIn=90)
    with urllib.request.urlopen(fresh, timeout=10) as resp:  # signed after the clock moved: still good
        assert resp.read() == b"secret"


def test_lifecycle_expiration_on_the_clock(s3, bucket, cloudlet):
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}
            ]
        },
    )
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rules[0]["Expiration"] == {"Days": 1}
    for key in ("tmp/a", "tmp/b", "keep/c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    cloudlet.advance_clock(3600)
    assert len(s3.list_objects_v2(Bucket=bucket)["Contents"]) == 3
    cloudlet.advance_clock(2 * 86400)  # past the midnight after one day
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep/c"]


def test_lifecycle_in_a_versioned_bucket_leaves_delete_markers(s3, bucket, cloudlet):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [{"ID": "all", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 2}}]
        },
    )
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    cloudlet.advance_clock(3 * 86400 + 10)
    versions = s3.list_object_versions(Bucket=bucket)
    assert len(versions["Versions"]) == 1 and versions["DeleteMarkers"][0]["IsLatest"] is True
    assert error(lambda: s3.get_object(Bucket=bucket, Key="k"))[:2] == ("NoSuchKey", 404)


def test_bucket_cors_rules_answer_browser_requests(s3, bucket, cloudlet):
    import http.client
    from urllib.parse import urlsplit

    rules = [
        {
            "AllowedOrigins": ["https://*.example.com"],
            "AllowedMethods": ["GET", "PUT"],
            "AllowedHeaders": ["content-type", "x-amz-*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 600,
        }
    ]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    s3.put_object(Bucket=bucket, Key="page", Body=b"hello")
    parts = urlsplit(cloudlet.endpoint)

    def send(method: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            conn.request(method, f"/{bucket}/page", headers=headers)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    ok = {
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Content-Type, X-Amz-Date",
    }
    status, headers, _ = send("OPTIONS", ok)
    assert status == 200
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-allow-methods"] == "GET, PUT"
    assert headers["access-control-max-age"] == "600"
    refused = {"Origin": "https://evil.test", "Access-Control-Request-Method": "GET"}
    status, _, body = send("OPTIONS", refused)
    assert status == 403 and b"<Code>AccessForbidden</Code>" in body
    wrong_method = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "DELETE"}
    assert send("OPTIONS", wrong_method)[0] == 403
    status, headers, body = send("GET", {"Origin": "https://app.example.com"})
    assert (status, body) == (200, b"hello")
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-expose-headers"] == "ETag"
    status, headers, _ = send("GET", {"Origin": "https://evil.test"})
    assert status == 200 and "access-control-allow-origin" not in headers


def test_browser_post_upload_with_a_policy(bucket, cloudlet, aws_client):
    import urllib.error
    import urllib.request

    s3 = aws_client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    form = s3.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Fields={"success_action_status": "201", "Content-Type": "text/plain"},
        Conditions=[
            {"success_action_status": "201"},
            {"Content-Type": "text/plain"},
            ["starts-with", "$key", "uploads/"],
            ["content-length-range", 1, 100],
        ],
        ExpiresIn=300,
    )

    def post(fields: dict[str, str], content: bytes) -> tuple[int, bytes]:
        boundary = "----cloudlet" + uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n".encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            form["url"],
            data=b"".join(parts),
            method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    status, body = post(form["fields"], b"hello from a browser")
    assert status == 201 and b"<Key>uploads/note.txt</Key>" in body
    got = s3.get_object(Bucket=bucket, Key="uploads/note.txt")
    assert got["Body"].read() == b"hello from a browser" and got["ContentType"] == "text/plain"
    status, body = post(form["fields"], b"x" * 101)
    assert status == 400 and b"<Code>EntityTooLarge</Code>" in body
    status, body = post({**form["fields"], "key": "elsewhere/${filename}"}, b"x")
    assert status == 403 and b"Policy Condition failed" in body
    cloudlet.advance_clock(600)
    status, body = post(form["fields"], b"late")
    assert status == 403 and b"Policy expired" in body
