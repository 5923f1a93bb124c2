"""S3 static website hosting: the website endpoint of a bucket with a website configuration.

Addressed as on AWS by Host, ``<bucket>.s3-website-<region>.localhost`` or
``<bucket>.s3-website.<region>.localhost`` (any port), or by path on Cloudlet's own address,
``/_website/<bucket>/<key>`` (no bucket name starts with ``_``, so no S3 API path is taken).
S3's entry point (entry.py) hands such requests here, before the AWS API.

What is answered, in S3's order (S3 user guide: "Hosting a static website", index documents,
custom error documents, redirects; HTML error pages as recorded from S3 in
``TestS3StaticWebsiteHosting``): only GET and HEAD (405 otherwise); the bucket and its website
configuration (404 NoSuchBucket / NoSuchWebsiteConfiguration); ``RedirectAllRequestsTo``; the
routing rules without an error-code condition; the object, the index document for a folder
(``dir/`` is ``dir/index.html``; ``dir`` without an object of that name is a 302 to ``dir/``
when ``dir/index.html`` exists); an object's ``x-amz-website-redirect-location`` as a 301. A
missing object (404 NoSuchKey) or one the endpoint cannot serve (403 AccessDenied: SSE-KMS or
SSE-C) goes through the routing rules with ``HttpErrorCodeReturnedEquals``, then the error
document, served with the error's status, or S3's HTML page. Conditional requests (304/412)
and one byte range (206) are answered as GetObject answers them.

Bucket policies, ACLs and Block Public Access are not applied here (Cloudlet enforces none):
every object of a website bucket is served. Website answers carry no CORS headers but those
of the bucket's own CORS rules.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from email.utils import formatdate
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from cloudlet.core import ids
from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3 import conditions as cond
from cloudlet.services.s3 import cors as s3_cors
from cloudlet.services.s3 import encryption as sse
from cloudlet.services.s3.store import ObjectRow
from cloudlet.services.s3.wire import byte_range, encode_metadata_value

if TYPE_CHECKING:
    from cloudlet.services.s3.provider import S3Provider
    from cloudlet.services.s3.store import Bucket

PATH_PREFIX = "/_website/"
_HOST = re.compile(r"(.+)\.s3-website[.-]([a-z]{2}(?:-[a-z]+)+-\d+)\.localhost\Z")
_METHODS = ("GET", "HEAD")
_REASONS = {
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    412: "Precondition Failed",
    416: "Requested Range Not Satisfiable",
}
_NO_SUCH_KEY = "The specified key does not exist."
_CONTENT_HEADERS = {
    "CacheControl": "Cache-Control",
    "ContentDisposition": "Content-Disposition",
    "ContentEncoding": "Content-Encoding",
    "ContentLanguage": "Content-Language",
}


@dataclass(frozen=True)
class Site:
    """What a website request addresses: the bucket, the key (decoded; ``""`` for the root)
    and the path the bucket's keys are under in this form of address."""

    bucket: str
    key: str
    base: str  # "" (by Host) or "/_website/<bucket>" (by path)


def addressed(request: Request) -> Site | None:
    """The site a request is for, if it is addressed to a website endpoint."""
    host = request.host.rsplit(":", 1)[0].lower() if not request.host.startswith("[") else ""
    found = _HOST.match(host) if ".s3-website" in host else None
    if found is not None:
        return Site(found[1], unquote(request.path[1:]), "")
    if request.path.startswith(PATH_PREFIX):
        bucket, _, key = request.path[len(PATH_PREFIX) :].partition("/")
        bucket = unquote(bucket)
        if bucket:
            return Site(bucket, unquote(key), PATH_PREFIX + quote(bucket, safe=""))
    return None


class _Failure(Exception):
    """An error the website answers as an HTML page (or through the error document)."""

    def __init__(self, status: int, code: str, message: str, fields: list[tuple[str, str]]) -> None:
        super().__init__(code)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def serve(provider: S3Provider, request: Request) -> Response:
    """The website's answer to ``request`` (see the module's docstring)."""
    site = addressed(request)
    assert site is not None  # the entry point claims only addressed requests
    request_id = ids.request_id()
    page = _Page(request, request_id)
    if request.method not in _METHODS:  # before the bucket is looked up (unverified order)
        return page.error(
            _Failure(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                [("Method", request.method), ("ResourceType", "OBJECT")],
            )
        )
    bucket = provider.db.bucket(site.bucket)
    if bucket is None:
        return page.error(
            _Failure(
                404, "NoSuchBucket", "The specified bucket does not exist", [("BucketName", site.bucket)]
            )
        )
    config = bucket.config.get("Website")
    if not config:
        return page.error(
            _Failure(
                404,
                "NoSuchWebsiteConfiguration",
                "The specified bucket does not have a website configuration",
                [("BucketName", site.bucket)],
            )
        )
    page.cors = _cors_headers(bucket, request)
    everything = config.get("RedirectAllRequestsTo")
    if everything:
        # the request's path on the other host (its query is not kept: unverified)
        path = request.path[len(site.base) :] if site.base else request.path
        scheme = everything.get("Protocol") or request.scheme
        return page.redirect(301, f"{scheme}://{everything['HostName']}{path or '/'}")
    rules = config.get("RoutingRules") or []
    rule = _rule(rules, site.key, None)
    if rule is not None:
        return page.routed(rule, site)
    suffix = config["IndexDocument"]["Suffix"]
    folder = site.key == "" or site.key.endswith("/")
    key = site.key + suffix if folder else site.key
    try:
        row = _current(provider, bucket, key)
        if row is None:
            if not folder and _current(provider, bucket, f"{key}/{suffix}") is not None:
                # S3 user guide, "Index documents and folders": a 302 to the folder (the Location
                # being the path alone is unverified)
                return page.redirect(302, f"{site.base}/{quote(key)}/")
            raise _Failure(404, "NoSuchKey", _NO_SUCH_KEY, [("Key", key)])
        _check_servable(row)
    except _Failure as failure:
        rule = _rule(rules, site.key, failure.status)
        if rule is not None:
            return page.routed(rule, site)
        return _error_document(provider, bucket, config, page, failure)
    location = row.meta.get("WebsiteRedirectLocation")
    if location:
        if location.startswith("/") and site.base:
            location = site.base + location
        return page.redirect(301, location)
    return page.object(provider, row, 200)


def _current(provider: S3Provider, bucket: Bucket, key: str) -> ObjectRow | None:
    """The current version of a key, if it is an object (not a delete marker)."""
    row = provider.db.current(bucket, key)
    return row if row is not None and not row.delete_marker else None


def _check_servable(row: ObjectRow) -> None:
    """The website endpoint serves no object it would have to decrypt with a key it is not
    given: SSE-KMS and SSE-C objects answer 403 (S3 knowledge center, "S3 website endpoint
    403 errors"; the page's fields beyond Code and Message are unverified)."""
    encryption = row.meta.get(sse.META_KEY) or {}
    algorithm = encryption.get("ServerSideEncryption") if isinstance(encryption, dict) else None
    if sse.is_customer(encryption) or (algorithm or "").startswith("aws:kms"):
        raise _Failure(403, "AccessDenied", "Access Denied", [])


def _rule(rules: list[dict[str, Any]], key: str, status: int | None) -> dict[str, Any] | None:
    """The first routing rule for ``key``: before the lookup (``status`` None) those without
    an error-code condition, after an error those whose ``HttpErrorCodeReturnedEquals`` is its
    status; ``KeyPrefixEquals``, when given, must match too (PutBucketWebsite: "If both
    conditions are specified, both must be true")."""
    for rule in rules:
        condition = rule.get("Condition") or {}
        prefix = condition.get("KeyPrefixEquals")
        code = condition.get("HttpErrorCodeReturnedEquals")
        if prefix is not None and not key.startswith(prefix):
            continue
        if (code is None and status is None) or (code is not None and code == str(status)):
            return rule
    return None


def _cors_headers(bucket: Bucket, request: Request) -> list[tuple[str, str]]:
    rules = bucket.config.get("Cors")
    if not rules or "origin" not in request.headers:
        return []
    return s3_cors.response_headers(rules, request)  # unverified: that website answers carry them


def _error_document(
    provider: S3Provider, bucket: Bucket, config: dict[str, Any], page: _Page, failure: _Failure
) -> Response:
    """The error document with the error's status, or S3's page (with a second section when
    the error document itself cannot be had; recorded: test_website_hosting_404)."""
    key = (config.get("ErrorDocument") or {}).get("Key")
    if not key or failure.status not in (403, 404):  # 4xx of an object; others unverified
        return page.error(failure)
    row = _current(provider, bucket, key)
    try:
        if row is None:
            raise _Failure(404, "NoSuchKey", _NO_SUCH_KEY, [("Key", key)])
        _check_servable(row)
    except _Failure as second:
        return page.error(failure, second)
    return page.object(provider, row, failure.status, conditional=False)


class _Page:
    """Answers of one website request: HTML error pages, redirects, objects."""

    def __init__(self, request: Request, request_id: str) -> None:
        self.request = request
        self.request_id = request_id
        self.cors: list[tuple[str, str]] = []

    def _headers(self) -> list[tuple[str, str]]:
        return [("x-amz-request-id", self.request_id), ("x-amz-id-2", _host_id(self.request_id)), *self.cors]

    def error(self, failure: _Failure, second: _Failure | None = None) -> Response:
        """S3's HTML page for an error (layout recorded: TestS3StaticWebsiteHosting)."""
        title = f"{failure.status} {_REASONS.get(failure.status, 'Error')}"
        lines = ["<html>", f"<head><title>{title}</title></head>", "<body>", f"<h1>{title}</h1>", "<ul>"]
        lines += _items(failure)
        lines += [
            f"<li>RequestId: {self.request_id}</li>",
            f"<li>HostId: {escape(_host_id(self.request_id))}</li>",
            "</ul>",
        ]
        if second is not None:
            lines += [
                "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>",
                "<ul>",
            ]
            lines += [*_items(second), "</ul>"]
        lines += ["<hr/>", "</body>", "</html>", ""]
        body = "\n".join(lines).encode()
        headers = [*self._headers(), ("Content-Type", "text/html; charset=utf-8")]  # charset unverified
        headers.append(("Content-Length", str(len(body))))
        return Response(failure.status, headers, b"" if self.request.method == "HEAD" else body)

    def redirect(self, status: int, location: str) -> Response:
        return Response(status, [*self._headers(), ("Location", location), ("Content-Length", "0")], b"")

    def routed(self, rule: dict[str, Any], site: Site) -> Response:
        """A routing rule's redirect: its protocol and host (else the request's), the key with
        its prefix or itself replaced, its code (301 by default)."""
        redirect = rule.get("Redirect") or {}
        key = site.key
        if redirect.get("ReplaceKeyWith") is not None:
            key = redirect["ReplaceKeyWith"]
        elif redirect.get("ReplaceKeyPrefixWith") is not None:
            prefix = (rule.get("Condition") or {}).get("KeyPrefixEquals") or ""
            key = redirect["ReplaceKeyPrefixWith"] + key[len(prefix) :]
        scheme = redirect.get("Protocol") or self.request.scheme
        host = redirect.get("HostName")
        path = quote(key.lstrip("/"), safe="/~")
        location = (
            f"{scheme}://{host}/{path}" if host else f"{scheme}://{self.request.host}{site.base}/{path}"
        )
        try:
            status = int(redirect.get("HttpRedirectCode") or 301)
        except ValueError:
            status = 301
        return self.redirect(status, location)

    def object(self, provider: S3Provider, row: ObjectRow, status: int, conditional: bool = True) -> Response:
        """An object's content (a 206 for one byte range; 304/412 for conditions)."""
        headers = self._headers()
        headers += [("Last-Modified", formatdate(row.modified, usegmt=True)), ("ETag", row.etag or "")]
        headers.append(("Content-Type", row.meta.get("ContentType") or "binary/octet-stream"))
        for member, name in _CONTENT_HEADERS.items():
            if row.meta.get(member) is not None:
                headers.append((name, str(row.meta[member])))
        for name, value in (row.meta.get("Metadata") or {}).items():
            headers.append((f"x-amz-meta-{name}", encode_metadata_value(value)))
        start, end = 0, row.size
        if conditional:
            try:
                cond.check_read(row, _conditions(self.request), provider.clock.now())
                window = byte_range(self.request.headers.get("range"), row.size)
            except ServiceError as error:
                if error.status == 304:
                    return Response(304, [*self._headers(), *error.headers.items()], b"")
                fields = [(k, str(v)) for k, v in error.fields.items()]  # unverified: the page's fields
                return self.error(_Failure(error.status, error.code, error.message, fields))
            if window is not None:
                start, end = window
                status = 206
                headers.append(("Content-Range", f"bytes {start}-{end - 1}/{row.size}"))
        headers.append(("Content-Length", str(end - start)))
        if self.request.method == "HEAD" or end <= start:
            return Response(status, headers, b"")
        if row.inline:
            return Response(status, headers, provider.db.body(row)[start:end])
        return Response(status, headers, provider.blobs.open(row.blob_id, start, end) if row.blob_id else b"")


def _items(failure: _Failure) -> list[str]:
    items = [("Code", failure.code), ("Message", failure.message), *failure.fields]
    return [f"<li>{name}: {escape(value)}</li>" for name, value in items]


def _conditions(request: Request) -> dict[str, Any]:
    headers = request.headers
    return {
        "IfMatch": headers.get("if-match"),
        "IfNoneMatch": headers.get("if-none-match"),
        "IfModifiedSince": headers.get("if-modified-since"),
        "IfUnmodifiedSince": headers.get("if-unmodified-since"),
    }


def _host_id(request_id: str) -> str:
    return base64.b64encode(request_id.encode()).decode()
