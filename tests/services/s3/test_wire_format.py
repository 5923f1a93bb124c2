"""Details of S3's XML answers: the declaration on a line of its own, timestamps with
milliseconds (whole seconds, ``.000Z``, as S3 keeps them), CompleteMultipartUpload's Location.

Expectations: S3's documents as the API reference shows them (``<?xml …?>`` then a newline;
``2009-10-12T17:50:30.000Z``); test_multipart_with_unicode_character_location (the Location's key
URL-encoded, ``<bucket-url>/test-unicode_%E2%80%94_file``) and botocore's CompleteMultipartUpload
example (``https://examplebucket.s3.amazonaws.com/bigobject``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .conftest import raw_request, recorded

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n<'
STAMP = re.compile(rb"<(LastModified|CreationDate|Initiated)>([^<]*)</")


def stamps(body: bytes) -> list[bytes]:
    return [m[2] for m in STAMP.finditer(body)]


def test_documents_start_with_the_declaration_on_its_own_line(cloudlet, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    for path in ("/", f"/{bucket}?list-type=2", f"/{bucket}?versioning", f"/{bucket}/k?tagging"):
        reply = raw_request(cloudlet.endpoint, "GET", path)
        assert reply.status == 200
        assert reply.body.startswith(DECLARATION), reply.body[:60]
    reply = raw_request(cloudlet.endpoint, "POST", f"/{bucket}/mpu?uploads")
    assert reply.body.startswith(DECLARATION)


def test_listed_timestamps_are_whole_seconds_with_milliseconds(cloudlet, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="m", UploadId=upload, PartNumber=1, Body=b"p")
    found: list[bytes] = []
    for method, path in [
        ("GET", "/"),
        ("GET", f"/{bucket}"),
        ("GET", f"/{bucket}?list-type=2"),
        ("GET", f"/{bucket}?versions"),
        ("GET", f"/{bucket}?uploads"),
        ("GET", f"/{bucket}/m?uploadId={upload}"),
    ]:
        found += stamps(raw_request(cloudlet.endpoint, method, path).body)
    copied = raw_request(
        cloudlet.endpoint, "PUT", f"/{bucket}/c2", headers={"x-amz-copy-source": f"{bucket}/k"}
    )
    found += stamps(copied.body)
    assert len(found) >= 8
    assert all(re.fullmatch(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", stamp) for stamp in found), found


def complete(cloudlet, bucket: str, key_path: str, host: str | None = None) -> str:
    """Upload one part to ``key_path`` (URL-encoded) and complete it; the answer's Location."""
    started = raw_request(cloudlet.endpoint, "POST", f"{key_path}?uploads", host=host)
    upload = re.search(rb"<UploadId>([^<]+)</UploadId>", started.body)[1].decode()
    part = raw_request(
        cloudlet.endpoint, "PUT", f"{key_path}?partNumber=1&uploadId={upload}", host=host, body=b"p"
    )
    body = (
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
        f"<ETag>{part.headers['etag']}</ETag></Part></CompleteMultipartUpload>"
    ).encode()
    done = raw_request(cloudlet.endpoint, "POST", f"{key_path}?uploadId={upload}", host=host, body=body)
    assert done.status == 200, done.body
    return re.search(rb"<Location>([^<]+)</Location>", done.body)[1].decode()


def test_multipart_location_is_the_objects_url_encoded(cloudlet, s3, bucket):
    # test_multipart_with_unicode_character_location
    recorded_location = recorded("test_multipart_with_unicode_character_location")["complete-multipart"][
        "Location"
    ]
    key = "test-unicode_\u2014_file"
    done = s3.create_multipart_upload(Bucket=bucket, Key=key)
    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=done["UploadId"], PartNumber=1, Body=b"p")
    location = s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=done["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )["Location"]
    bucket_url = f"{cloudlet.endpoint}/{bucket}"
    assert location == recorded_location.replace("<bucket-url>", bucket_url)
    # a "/" in the key is encoded too (unverified), in the addressing style of the request
    assert complete(cloudlet, bucket, f"/{bucket}/a/b%20c") == f"{bucket_url}/a%2Fb%20c"
    host = f"{bucket}.s3.localhost:{urlsplit(cloudlet.endpoint).port}"
    assert complete(cloudlet, bucket, "/v/h", host=host) == f"http://{host}/v%2Fh"
