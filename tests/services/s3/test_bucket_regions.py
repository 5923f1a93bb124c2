"""Buckets in other regions: the ``EU`` constraint, GetBucketLocation's bodies, creation through
regional and virtual-hosted endpoints with the errors for mismatches, CreateBucket's Location, and
DeleteBucket with multipart uploads in progress.

Expectations: test_create_bucket_with_eu_location_constraint (and ``_raises``),
test_different_location_constraint, test_create_bucket_head_bucket (test_s3.snapshot.json);
botocore's CreateBucket example (``http://examplebucket.s3.amazonaws.com/``) for the form of a
regional Location; the DeleteBucket reference for uploads in progress. The region-mismatch error
messages are unverified (not in the recordings).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from .conftest import error_of, raw_request, recorded, unique_name

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def constraint_body(region: str) -> bytes:
    return (
        f'<CreateBucketConfiguration xmlns="{NAMESPACE}"><LocationConstraint>{region}</LocationConstraint>'
        "</CreateBucketConfiguration>"
    ).encode()


def port_of(cloudlet) -> int:
    return urlsplit(cloudlet.endpoint).port


# --------------------------------------------------------------------------- EU and GetBucketLocation


def test_eu_location_constraint(make_bucket):
    # test_create_bucket_with_eu_location_constraint: GetBucketLocation answers EU as given
    steps = recorded("test_create_bucket_with_eu_location_constraint")
    west = make_bucket.client("eu-west-1")
    name = make_bucket("eu", region="eu-west-1", CreateBucketConfiguration={"LocationConstraint": "EU"})
    assert (
        west.get_bucket_location(Bucket=name)["LocationConstraint"]
        == steps["get-bucket-location"]["LocationConstraint"]
    )
    assert west.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"  # EU buckets reside in eu-west-1
    listed = west.list_buckets(Prefix=name)["Buckets"]
    assert [(b["Name"], b["BucketRegion"]) for b in listed] == [(name, "eu-west-1")]


def test_eu_location_constraint_elsewhere_is_refused(s3, make_bucket):
    # test_create_bucket_with_eu_location_constraint_raises
    error = recorded("test_create_bucket_with_eu_location_constraint_raises")["eu-location-constraint-error"][
        "Error"
    ]
    for client in (s3, make_bucket.client("eu-central-1")):
        with pytest.raises(ClientError) as exc:
            client.create_bucket(
                Bucket=unique_name("eu"), CreateBucketConfiguration={"LocationConstraint": "EU"}
            )
        assert error_of(exc) == (error["Code"], error["Message"], 400)


def test_get_bucket_location_bodies(cloudlet, make_bucket):
    # test_different_location_constraint: null for us-east-1, the region elsewhere, EU as given
    east = make_bucket("east")
    reply = raw_request(cloudlet.endpoint, "GET", f"/{east}?location")
    assert reply.body == DECLARATION + f'<LocationConstraint xmlns="{NAMESPACE}"/>'.encode()
    assert make_bucket.client().get_bucket_location(Bucket=east)["LocationConstraint"] is None
    west = make_bucket("west", region="us-west-2")
    reply = raw_request(cloudlet.endpoint, "GET", f"/{west}?location", region="us-west-2")
    assert (
        reply.body
        == DECLARATION + f'<LocationConstraint xmlns="{NAMESPACE}">us-west-2</LocationConstraint>'.encode()
    )
    eu = make_bucket("eu", region="eu-west-1", CreateBucketConfiguration={"LocationConstraint": "EU"})
    reply = raw_request(cloudlet.endpoint, "GET", f"/{eu}?location", region="eu-west-1")
    assert (
        reply.body
        == DECLARATION + f'<LocationConstraint xmlns="{NAMESPACE}">EU</LocationConstraint>'.encode()
    )


# --------------------------------------------------------------------------- regional endpoints


def test_create_bucket_elsewhere_answers_its_url(cloudlet, make_bucket):
    # test_create_bucket_head_bucket: create_bucket_location_constraint, http://<bucket>.<host>/
    west = make_bucket.client("eu-west-1")
    name = unique_name("url")
    created = west.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    make_bucket.adopt(name, west)
    assert created["Location"] == f"http://{name}.s3.localhost:{port_of(cloudlet)}/"


def test_create_bucket_through_a_regional_endpoint(cloudlet, make_bucket):
    host = f"s3.eu-west-1.localhost:{port_of(cloudlet)}"
    name = unique_name("regional")
    reply = raw_request(
        cloudlet.endpoint, "PUT", f"/{name}", host=host, body=constraint_body("eu-west-1"), region="eu-west-1"
    )
    assert reply.status == 200, reply.body
    make_bucket.adopt(name, make_bucket.client("eu-west-1"))
    assert reply.headers["location"] == f"http://{name}.s3.localhost:{port_of(cloudlet)}/"
    assert make_bucket.client("eu-west-1").head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"
    # unsigned, the endpoint names the region
    other = unique_name("regional")
    reply = raw_request(
        cloudlet.endpoint, "PUT", f"/{other}", host=host, body=constraint_body("eu-west-1"), sign=False
    )
    assert reply.status == 200, reply.body
    make_bucket.adopt(other, make_bucket.client("eu-west-1"))


def test_regional_endpoint_mismatches(cloudlet):
    # test_different_location_constraint: the constraint must be the endpoint's region
    steps = recorded("test_different_location_constraint")
    host = f"s3.eu-west-1.localhost:{port_of(cloudlet)}"
    reply = raw_request(cloudlet.endpoint, "PUT", f"/{unique_name('mm')}", host=host, region="eu-west-1")
    expected = steps["create-bucket-us-east-2-no-constraint-exc"]["Error"]
    assert (reply.status, reply.error["Code"], reply.error["Message"]) == (
        400,
        expected["Code"],
        expected["Message"],
    )
    reply = raw_request(
        cloudlet.endpoint,
        "PUT",
        f"/{unique_name('mm')}",
        host=host,
        body=constraint_body("us-west-1"),
        region="eu-west-1",
    )
    assert (reply.status, reply.error["Code"]) == (400, "IllegalLocationConstraintException")
    assert reply.error["Message"].startswith("The us-west-1 location constraint is incompatible")
    # signed for another region than the endpoint's (messages unverified)
    reply = raw_request(
        cloudlet.endpoint,
        "PUT",
        f"/{unique_name('mm')}",
        host=host,
        body=constraint_body("eu-west-1"),
        region="us-east-1",
    )
    assert reply.status == 400
    assert (reply.error["Code"], reply.error["Region"]) == ("AuthorizationHeaderMalformed", "eu-west-1")
    assert reply.error["Message"] == (
        "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'"
    )


def test_presigned_request_to_another_regions_endpoint(cloudlet, bucket):
    # a presigned URL signed for us-east-1 sent to eu-west-1's endpoint (message unverified)
    request = AWSRequest(method="GET", url=f"{cloudlet.endpoint}/{bucket}?list-type=2")
    S3SigV4QueryAuth(Credentials("test", "test"), "s3", "us-east-1", expires=300).add_auth(request)
    parts = urlsplit(request.url)
    host = f"s3.eu-west-1.localhost:{port_of(cloudlet)}"
    reply = raw_request(cloudlet.endpoint, "GET", f"{parts.path}?{parts.query}", host=host, sign=False)
    assert reply.status == 400
    assert (reply.error["Code"], reply.error["Region"]) == ("AuthorizationQueryParametersError", "eu-west-1")
    assert reply.error["Message"] == (
        "Error parsing the X-Amz-Credential parameter; the region 'us-east-1' is wrong; expecting 'eu-west-1'"
    )


# --------------------------------------------------------------------------- virtual-hosted creation


def test_create_bucket_virtual_hosted(cloudlet, make_bucket):
    port = port_of(cloudlet)
    name = unique_name("vhost")
    reply = raw_request(cloudlet.endpoint, "PUT", "/", host=f"{name}.s3.localhost:{port}")
    assert reply.status == 200, reply.body
    make_bucket.adopt(name, make_bucket.client())
    assert reply.headers["location"] == f"/{name}"
    assert make_bucket.client().head_bucket(Bucket=name)["BucketRegion"] == "us-east-1"
    # in another region, by its regional virtual host
    west = unique_name("vhost")
    host = f"{west}.s3.eu-west-1.localhost:{port}"
    reply = raw_request(
        cloudlet.endpoint, "PUT", "/", host=host, body=constraint_body("eu-west-1"), region="eu-west-1"
    )
    assert reply.status == 200, reply.body
    make_bucket.adopt(west, make_bucket.client("eu-west-1"))
    assert reply.headers["location"] == f"http://{host}/"
    assert (
        make_bucket.client("eu-west-1").get_bucket_location(Bucket=west)["LocationConstraint"] == "eu-west-1"
    )


# --------------------------------------------------------------------------- DeleteBucket


def test_delete_bucket_discards_uploads_in_progress(s3):
    # DeleteBucket API reference: a bucket holding only multipart uploads in progress is empty
    name = unique_name("mpu")
    s3.create_bucket(Bucket=name)
    upload = s3.create_multipart_upload(Bucket=name, Key="big")
    s3.upload_part(Bucket=name, Key="big", UploadId=upload["UploadId"], PartNumber=1, Body=b"part")
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.create_bucket(Bucket=name)
    try:
        assert "Uploads" not in s3.list_multipart_uploads(Bucket=name)
        with pytest.raises(ClientError) as exc:
            s3.list_parts(Bucket=name, Key="big", UploadId=upload["UploadId"])
        assert error_of(exc)[0] == "NoSuchUpload"
    finally:
        s3.delete_bucket(Bucket=name)
