"""S3 static website hosting served by the website endpoints, through a real server.

The endpoint is addressed by Host (``<bucket>.s3-website-<region>.localhost``,
``<bucket>.s3-website.<region>.localhost``, any port) or by Cloudlet's path form
``/_website/<bucket>/<key>``; requests go over a socket with an explicit Host header.

Expectations: the HTML pages recorded from S3 in ``TestS3StaticWebsiteHosting``
(test_website_hosting_no_such_website, test_website_hosting_index_lookup,
test_website_hosting_404, test_website_hosting_http_methods), compared byte for byte once the
request id, host id and bucket name are replaced by the recordings' placeholders; the S3 user
guide (index documents and folders, error documents, redirects, routing rules) and the
PutBucketWebsite reference for the rest (Location forms the guide does not show are Cloudlet's,
unverified).
"""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from .conftest import recorded

INDEX = {"IndexDocument": {"Suffix": "index.html"}}


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


def visit(cloudlet, path: str, host: str | None = None, method: str = "GET", headers=None) -> Page:
    """One request to the server with ``host`` as its Host header (default: its own address)."""
    parts = urlsplit(cloudlet.endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, headers={"Host": host or parts.netloc, **(headers or {})})
        resp = conn.getresponse()
        return Page(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def website_host(cloudlet, bucket: str, form: str = "-") -> str:
    """``<bucket>.s3-website-us-east-1.localhost:<port>`` (``form="."``: the dot form)."""
    return f"{bucket}.s3-website{form}us-east-1.localhost:{urlsplit(cloudlet.endpoint).port}"


def normalized(page: str, bucket: str | None = None) -> str:
    """A page with its ids (and bucket) replaced by the recordings' placeholders."""
    page = re.sub(r"<li>RequestId: [^<]*</li>", "<li>RequestId: <request-id></li>", page)
    page = re.sub(r"<li>HostId: [^<]*</li>", "<li>HostId: <host-id></li>", page)
    return page.replace(f"BucketName: {bucket}<", "BucketName: <bucket-name><") if bucket else page


@pytest.fixture
def site(s3, make_bucket):
    """A website bucket with an index document, a folder with its own and a page."""
    name = make_bucket("site")
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration=INDEX)
    s3.put_object(Bucket=name, Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html")
    s3.put_object(Bucket=name, Key="docs/index.html", Body=b"docs home", ContentType="text/html")
    s3.put_object(Bucket=name, Key="page.html", Body=b"a page", ContentType="text/html")
    return name


# --------------------------------------------------------------------------- pages of errors


def test_missing_bucket_and_missing_configuration_pages(cloudlet, s3, bucket):
    # test_website_hosting_no_such_website: the three pages, byte for byte
    steps = recorded("test_website_hosting_no_such_website")
    missing = "cl-no-such-site-bucket"
    page = visit(cloudlet, "/", website_host(cloudlet, missing))
    assert page.status == 404
    assert page.headers["content-type"].startswith("text/html")
    assert normalized(page.text, missing) == steps["no-such-bucket"]
    page = visit(cloudlet, "/", website_host(cloudlet, bucket))
    assert page.status == 404
    assert normalized(page.text, bucket) == steps["no-such-website-config"]
    s3.put_object(Bucket=bucket, Key="test", Body=b"x")
    page = visit(cloudlet, "/test", website_host(cloudlet, bucket))
    assert normalized(page.text, bucket) == steps["no-such-website-config-key"]


def test_missing_key_pages_name_the_key_looked_up(cloudlet, s3, site):
    # test_website_hosting_index_lookup: "directory-wrong" and "directory-wrong/" (the index)
    steps = recorded("test_website_hosting_index_lookup")
    host = website_host(cloudlet, site)
    page = visit(cloudlet, "/directory-wrong", host)
    assert page.status == 404
    assert normalized(page.text) == steps["404-no-trailing-slash"]
    page = visit(cloudlet, "/directory-wrong/", host)
    assert page.status == 404
    assert normalized(page.text) == steps["404-with-trailing-slash"]


def test_error_document_is_served_with_the_errors_status(cloudlet, s3, make_bucket):
    # test_website_hosting_404: without the error document S3 says so in a second section
    steps = recorded("test_website_hosting_404")
    name = make_bucket("errdoc")
    host = website_host(cloudlet, name)
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration=INDEX)
    page = visit(cloudlet, "/", host)
    assert (page.status, normalized(page.text)) == (404, steps["404-no-such-key"])
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration={**INDEX, "ErrorDocument": {"Key": "error.html"}})
    page = visit(cloudlet, "/", host)
    assert (page.status, normalized(page.text)) == (404, steps["404-no-such-key-nor-custom"])
    s3.put_object(Bucket=name, Key="error.html", Body=b"<p>lost</p>", ContentType="text/html")
    page = visit(cloudlet, "/missing.html", host)
    assert (page.status, page.body, page.headers["content-type"]) == (404, b"<p>lost</p>", "text/html")


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT", "PATCH", "OPTIONS"])
def test_only_get_and_head_are_allowed(cloudlet, site, method):
    # test_website_hosting_http_methods: 405 with the method named (recorded for POST, DELETE)
    steps = recorded("test_website_hosting_http_methods")
    page = visit(cloudlet, "/", website_host(cloudlet, site), method=method)
    assert page.status == 405
    expected = steps["not-allowed-post"]["content"].replace("Method: POST", f"Method: {method}")
    assert normalized(page.text) == expected


def test_kms_encrypted_objects_are_refused_with_403(cloudlet, s3, site):
    # S3 knowledge center: website endpoints cannot serve SSE-KMS objects (403 AccessDenied)
    s3.put_object(Bucket=site, Key="secret.html", Body=b"x", ServerSideEncryption="aws:kms")
    page = visit(cloudlet, "/secret.html", website_host(cloudlet, site))
    assert page.status == 403
    assert "<title>403 Forbidden</title>" in page.text
    assert "<li>Code: AccessDenied</li>\n<li>Message: Access Denied</li>" in page.text
    # the error document answers 403s too, with their status
    s3.put_bucket_website(Bucket=site, WebsiteConfiguration={**INDEX, "ErrorDocument": {"Key": "page.html"}})
    page = visit(cloudlet, "/secret.html", website_host(cloudlet, site))
    assert (page.status, page.body) == (403, b"a page")


def test_error_pages_escape_what_the_request_brought(cloudlet, site):
    page = visit(cloudlet, "/%3Cscript%3Ealert(1)%3C/script%3E", website_host(cloudlet, site))
    assert page.status == 404
    assert "<li>Key: &lt;script&gt;alert(1)&lt;/script&gt;</li>" in page.text
    assert "<script>" not in page.text


# --------------------------------------------------------------------------- documents


@pytest.mark.parametrize("form", ["-", "."])
def test_index_documents_at_the_root_and_in_folders(cloudlet, site, form):
    host = website_host(cloudlet, site, form)
    for path in ("/", "/index.html"):
        page = visit(cloudlet, path, host)
        assert (page.status, page.body, page.headers["content-type"]) == (200, b"<h1>home</h1>", "text/html")
    assert visit(cloudlet, "/docs/", host).body == b"docs home"
    # a folder asked for without its slash: a 302 to it (S3 user guide, index documents)
    page = visit(cloudlet, "/docs", host)
    assert (page.status, page.headers["location"], page.body) == (302, "/docs/", b"")
    assert visit(cloudlet, "/page.html", host).body == b"a page"


def test_host_without_a_port_and_in_capitals(cloudlet, site):
    assert visit(cloudlet, "/page.html", f"{site}.s3-website-us-east-1.localhost").body == b"a page"
    assert visit(cloudlet, "/page.html", f"{site.upper()}.S3-WEBSITE.US-EAST-1.LOCALHOST").body == b"a page"


def test_the_path_form_on_cloudlets_own_address(cloudlet, site):
    assert visit(cloudlet, f"/_website/{site}/").body == b"<h1>home</h1>"
    assert visit(cloudlet, f"/_website/{site}").body == b"<h1>home</h1>"
    assert visit(cloudlet, f"/_website/{site}/page.html").body == b"a page"
    page = visit(cloudlet, f"/_website/{site}/docs")
    assert (page.status, page.headers["location"]) == (302, f"/_website/{site}/docs/")
    assert visit(cloudlet, "/_website/cl-no-such-site-bucket/").status == 404


def test_head_conditions_and_ranges(cloudlet, s3, site):
    host = website_host(cloudlet, site)
    page = visit(cloudlet, "/page.html", host, method="HEAD")
    assert (page.status, page.body, page.headers["content-length"]) == (200, b"", "6")
    etag = page.headers["etag"]
    assert visit(cloudlet, "/page.html", host, headers={"If-None-Match": etag}).status == 304
    failed = visit(cloudlet, "/page.html", host, headers={"If-Match": '"other"'})
    assert failed.status == 412  # a page, as every website error (its fields unverified)
    assert "<li>Code: PreconditionFailed</li>" in failed.text
    page = visit(cloudlet, "/page.html", host, headers={"Range": "bytes=2-3"})
    assert (page.status, page.body, page.headers["content-range"]) == (206, b"pa", "bytes 2-3/6")
    s3.put_object(Bucket=site, Key="meta.html", Body=b"m", Metadata={"note": "hi"}, CacheControl="no-cache")
    page = visit(cloudlet, "/meta.html", host)
    assert (page.headers["x-amz-meta-note"], page.headers["cache-control"]) == ("hi", "no-cache")


def test_website_answers_carry_no_api_cors(cloudlet, site):
    page = visit(
        cloudlet, "/page.html", website_host(cloudlet, site), headers={"Origin": "http://evil.example"}
    )
    assert page.status == 200
    assert not [name for name in page.headers if name.startswith("access-control-")]


# --------------------------------------------------------------------------- redirects


def test_object_website_redirect_location_is_a_301(cloudlet, s3, site):
    s3.put_object(Bucket=site, Key="old.html", Body=b"", WebsiteRedirectLocation="/page.html")
    s3.put_object(Bucket=site, Key="away", Body=b"", WebsiteRedirectLocation="https://example.com/x")
    host = website_host(cloudlet, site)
    page = visit(cloudlet, "/old.html", host)
    assert (page.status, page.headers["location"], page.body) == (301, "/page.html", b"")
    assert visit(cloudlet, "/away", host).headers["location"] == "https://example.com/x"
    assert visit(cloudlet, f"/_website/{site}/old.html").headers["location"] == f"/_website/{site}/page.html"
    # the REST endpoint serves the object itself (S3 user guide, webpage redirects)
    got = s3.get_object(Bucket=site, Key="old.html")
    assert got["WebsiteRedirectLocation"] == "/page.html"


def test_redirect_all_requests(cloudlet, s3, make_bucket):
    name = make_bucket("everything")
    s3.put_bucket_website(
        Bucket=name, WebsiteConfiguration={"RedirectAllRequestsTo": {"HostName": "example.com"}}
    )
    page = visit(cloudlet, "/a/b.html", website_host(cloudlet, name))
    assert (page.status, page.headers["location"]) == (301, "http://example.com/a/b.html")
    s3.put_bucket_website(
        Bucket=name,
        WebsiteConfiguration={"RedirectAllRequestsTo": {"HostName": "www.example.com", "Protocol": "https"}},
    )
    assert (
        visit(cloudlet, "/", website_host(cloudlet, name)).headers["location"] == "https://www.example.com/"
    )
    assert visit(cloudlet, f"/_website/{name}/x").headers["location"] == "https://www.example.com/x"


def test_routing_rules_conditions_and_redirect_fields(cloudlet, s3, site):
    rules = [
        {"Condition": {"KeyPrefixEquals": "docs/"}, "Redirect": {"ReplaceKeyPrefixWith": "documents/"}},
        {"Condition": {"KeyPrefixEquals": "gone.html"}, "Redirect": {"ReplaceKeyWith": "page.html"}},
        {
            "Condition": {"HttpErrorCodeReturnedEquals": "404"},
            "Redirect": {
                "HostName": "errors.example.com",
                "Protocol": "https",
                "ReplaceKeyPrefixWith": "report-404/",
                "HttpRedirectCode": "307",
            },
        },
    ]
    s3.put_bucket_website(Bucket=site, WebsiteConfiguration={**INDEX, "RoutingRules": rules})
    host = website_host(cloudlet, site)
    page = visit(cloudlet, "/docs/a.html", host)  # the prefix rule applies before any lookup
    assert (page.status, page.headers["location"]) == (301, f"http://{host}/documents/a.html")
    page = visit(cloudlet, "/gone.html", host)
    assert (page.status, page.headers["location"]) == (301, f"http://{host}/page.html")
    page = visit(cloudlet, "/missing/x.html", host)  # only once the lookup failed with a 404
    assert (page.status, page.headers["location"]) == (
        307,
        "https://errors.example.com/report-404/missing/x.html",
    )
    assert visit(cloudlet, "/page.html", host).status == 200
    # the path form keeps its prefix when the rule names no host
    page = visit(cloudlet, f"/_website/{site}/gone.html")
    assert page.headers["location"].endswith(f"/_website/{site}/page.html")


def test_both_conditions_must_hold(cloudlet, s3, site):
    rules = [
        {
            "Condition": {"KeyPrefixEquals": "old/", "HttpErrorCodeReturnedEquals": "404"},
            "Redirect": {"ReplaceKeyPrefixWith": "new/", "HttpRedirectCode": "302"},
        }
    ]
    s3.put_bucket_website(Bucket=site, WebsiteConfiguration={**INDEX, "RoutingRules": rules})
    s3.put_object(Bucket=site, Key="old/here.html", Body=b"still here")
    host = website_host(cloudlet, site)
    assert visit(cloudlet, "/old/here.html", host).body == b"still here"
    page = visit(cloudlet, "/old/gone.html", host)
    assert (page.status, page.headers["location"]) == (302, f"http://{host}/new/gone.html")
    assert visit(cloudlet, "/other/gone.html", host).status == 404
