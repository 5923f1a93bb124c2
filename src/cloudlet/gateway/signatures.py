"""Signature checks, made as AWS makes them, wherever Cloudlet knows the secret.

What is checked, and when (the README's "Signatures" section says the same):

- **S3, always**, for requests signed with an access key whose secret Cloudlet knows (one
  configured with ``--credentials``, by default ``test``/``test`` and ``testing``/``testing``,
  or one that STS issued): SigV4 ``Authorization`` headers, with their ``x-amz-content-sha256``
  payload hash (a hex SHA-256 must be the body's; the chunk signatures of
  ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`` bodies are verified one by one), SigV4
  presigned URLs, SigV2 headers (``AWS key:signature``) and SigV2 presigned URLs. Browser POST
  policies are checked with the same keys by ``services/s3/post.py``. A request signed with
  any other key is not checked at all, so dummy credentials keep working.
- **Every service, with** ``--verify-signatures``: SigV4 headers and presigned URLs of every
  request, and a signed request whose access key Cloudlet does not know is refused.
- **Lambda function URLs with** ``AuthType: AWS_IAM``, always: as with ``--verify-signatures``
  (services/awslambda/url_auth.py), since the signature is the URL's only authentication.
- **Never**: unsigned requests (they are anonymous), SigV4a (ECDSA) and S3 Express session
  signatures.
- **The key itself, always**: credentials STS issued are refused once the service clock passes
  their expiry (``ExpiredToken``), IAM access keys deleted or made inactive like unknown keys.

Time: a header-signed request is refused when its signing time is more than 15 minutes from
*both* the service clock and real time. The service clock may run ahead of real time (tests
move it), while SDKs sign with the machine's clock, and a test may sign at service time: a
request is signed just before it is sent, so its signing time is near one of the two clocks
(see also services/s3/presign.py, which judges presigned expiry). S3 answers
``RequestTimeTooSkewed`` with the service clock as ``ServerTime``.

The canonical request and string to sign come from botocore's own signers (``botocore.auth``),
subclassed to sign exactly the headers the client listed, with the client's own scope and a
signing key derived once per (secret, date, region, service). botocore is imported on the first
check (it takes ~150 ms); a request signed with a key whose secret is unknown costs one dict
lookup. Bodies spooled to disk (over 8 MiB) are hashed in a worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache, lru_cache
from types import SimpleNamespace
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote, unquote, unquote_to_bytes, urlsplit

from cloudlet.core.credentials import parse_credential_list
from cloudlet.gateway.detect import Credentials, _s3_path_style, s3_endpoint_region
from cloudlet.gateway.request import Request
from cloudlet.protocol.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.core.clock import Clock
    from cloudlet.core.credentials import CredentialStore
    from cloudlet.runtime import Runtime

MAX_SKEW = 15 * 60
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# The query parameters of a SigV4 presigned URL that are its signature (lower-cased), not
# headers it hoists into the query; SigV2's are AWSAccessKeyId, Signature and Expires.
PRESIGN_QUERY = frozenset(
    {
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-expires",
        "x-amz-signedheaders",
        "x-amz-signature",
        "x-amz-security-token",
    }
)
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
_S3_NAMES = frozenset({"s3", "s3-object-lambda"})  # S3 Express ("s3express") signs sessions: not checked
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_SIGV4_QUERY = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders")
_READ = 1 << 20
_MAX_LINE = 64 * 1024

# ---- the answers -----------------------------------------------------------------------------

# S3's wording, as recorded (test_presigned_url_signature_authentication and the others in
# aws-reference/s3/test_s3.snapshot.json).
S3_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
HEADERS_NOT_SIGNED = "There were headers present in the request which were not signed"
# The other services' wording (AWS's "Common Errors" pages and what clients report).
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"
# Services whose message goes on with the canonical request and string to sign (reported by
# SQS and Lambda users; other services' messages end with the sentence: unverified).
_DETAILED = frozenset({"sqs", "lambda"})


def _hex_bytes(text: str) -> str:
    """S3's ``...Bytes`` fields: the UTF-8 bytes as space-separated two-digit hex (as S3 answers
    them; the recordings keep placeholders)."""  # unverified
    return " ".join(f"{b:02x}" for b in text.encode())


def s3_mismatch(
    access_key: str, string_to_sign: str, provided: str, canonical: str | None = None
) -> ServiceError:
    """S3's ``SignatureDoesNotMatch``: SigV4 adds the canonical request, SigV2 and POST
    policies do not (recorded). The order of the fields is S3's as seen in its answers
    (unverified: the recordings are parsed dicts)."""
    fields = {
        "AWSAccessKeyId": access_key,
        "StringToSign": string_to_sign,
        "SignatureProvided": provided,
        "StringToSignBytes": _hex_bytes(string_to_sign),
    }
    if canonical is not None:
        fields["CanonicalRequest"] = canonical
        fields["CanonicalRequestBytes"] = _hex_bytes(canonical)
    return ServiceError("SignatureDoesNotMatch", S3_MISMATCH, 403, fields=fields)


def s3_unknown_key(access_key: str) -> ServiceError:
    # unverified (not recorded): S3's documented InvalidAccessKeyId
    return ServiceError(
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        403,
        fields={"AWSAccessKeyId": access_key},
    )


def s3_expired_token(token: str) -> ServiceError:
    # unverified (not recorded): S3's ExpiredToken, 400, as users report it; the Token-0 field
    # (the session token sent) as S3 answers it.
    fields = {"Token-0": token} if token else {}
    return ServiceError("ExpiredToken", "The provided token has expired.", 400, fields=fields)


def _s3_no_date() -> ServiceError:
    # unverified (not recorded): S3's answer to a signed request without a date
    return ServiceError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403)


@dataclass
class Refusal:
    """A refused signature: S3's own answer, or a reason each other service words in its own
    protocol (:meth:`error`), since the service is told after the check."""

    reason: str  # "signature", "unknown-key", "expired", "incomplete", "time"; S3's own: "headers", "payload"
    message: str = ""
    s3: ServiceError | None = None
    details: str = ""  # the canonical request and string to sign, for services that say them

    def error(self, service: str, protocol: str) -> ServiceError:
        if self.s3 is not None:
            return self.s3
        if self.reason == "incomplete":
            return ServiceError("IncompleteSignature", self.message, 403)
        query = protocol == "query"
        # Coral answers 400 for its json services (DynamoDB), 403 elsewhere (SQS and Lambda
        # users report it): unverified per service.
        status = 400 if protocol == "json" and service != "sqs" else 403
        if self.reason == "unknown-key":
            if query:
                return ServiceError("InvalidClientTokenId", INVALID_TOKEN, 403)
            return ServiceError("UnrecognizedClientException", INVALID_TOKEN, status)
        if self.reason == "expired":
            if query:
                return ServiceError("ExpiredToken", EXPIRED_TOKEN, 403)
            return ServiceError("ExpiredTokenException", EXPIRED_TOKEN, status)
        message = self.message
        if self.reason == "signature" and service in _DETAILED:
            message += self.details
        if query:
            return ServiceError("SignatureDoesNotMatch", message, 403)
        return ServiceError("InvalidSignatureException", message, status)


Verdict = Refusal | Awaitable[Refusal | None] | None


# ---- botocore's signers, told what the client signed ------------------------------------------


@cache
def _botocore() -> SimpleNamespace:
    """botocore's signers subclassed to verify (imported on the first check)."""
    from botocore import auth

    class Listed:
        """Signs the headers the client listed, with its scope, query and payload hash."""

        def __init__(self, scope: str, signed: list[str], query: list[tuple[str, str]], key: bytes) -> None:
            self._scope, self._signed, self._query, self._key = scope, signed, query, key
            self._payload = UNSIGNED_PAYLOAD

        def headers_to_sign(self, request: Any) -> Any:
            headers = _Headers()
            for name in self._signed:
                for value in request.headers.get_all(name) or [""]:
                    headers[name] = value
            return headers

        def canonical_query_string(self, request: Any) -> str:
            return self._canonical_query_string_params(self._query)  # type: ignore[attr-defined]

        def credential_scope(self, request: Any) -> str:
            return self._scope

        def payload(self, request: Any) -> str:
            return self._payload

        def signature(self, string_to_sign: str, request: Any) -> str:
            return hmac.new(self._key, string_to_sign.encode(), hashlib.sha256).hexdigest()

    class V4(Listed, auth.SigV4Auth):  # path normalized and encoded again, as other services sign
        pass

    class S3V4(Listed, auth.S3SigV4Auth):  # path as it is
        pass

    class V2(auth.HmacV1Auth):
        def __init__(self, secret: str, date: str) -> None:
            super().__init__(SimpleNamespace(secret_key=secret, token=None))
            self._date = date

        def _get_date(self) -> str:
            return self._date

    return SimpleNamespace(V4=V4, S3V4=S3V4, V2=V2)


@lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The SigV4 key derived from a secret for one day, region and service."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def sigv4_signature(secret: str, scope: str, string_to_sign: str) -> str | None:
    """The SigV4 signature of ``string_to_sign`` for a scope ``date/region/service/aws4_request``
    (None: not a scope)."""
    parts = scope.split("/")
    if len(parts) != 4 or parts[3] != "aws4_request":
        return None
    key = signing_key(secret, parts[0], parts[1], parts[2])
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def same_signature(expected: str, provided: str) -> bool:
    """A constant-time comparison that takes whatever a client sent (not only ASCII)."""
    return hmac.compare_digest(expected.encode(), provided.encode("utf-8", "replace"))


def sigv2_signature(secret: str, string_to_sign: str) -> str:
    """SigV2's base64 HMAC-SHA1 (headers, presigned URLs, POST policies)."""
    return _botocore().V2(secret, "").sign_string(string_to_sign)


class _Headers:
    """Case-insensitive headers with what botocore's signers use of ``HTTPHeaders`` (``get_all``,
    ``in``, ``[]``, ``del``, iteration with repeats), at a dict's cost: the email.message
    machinery behind ``HTTPHeaders`` was most of a check's time."""

    __slots__ = ("_d",)

    def __init__(self, raw: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
        self._d: dict[str, tuple[str, list[str]]] = {}
        for name, value in raw:
            self[name] = value

    def __setitem__(self, name: str, value: str) -> None:
        self._d.setdefault(name.lower(), (name, []))[1].append(value)

    def __getitem__(self, name: str) -> str | None:
        entry = self._d.get(name.lower())
        return entry[1][0] if entry else None

    def __delitem__(self, name: str) -> None:
        self._d.pop(name.lower(), None)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._d

    def __iter__(self) -> Iterator[str]:
        for name, values in self._d.values():
            for _ in values:
                yield name

    def get_all(self, name: str, failobj: Any = None) -> Any:
        entry = self._d.get(name.lower())
        return list(entry[1]) if entry else failobj

    def get(self, name: str, default: Any = None) -> Any:
        entry = self._d.get(name.lower())
        return entry[1][0] if entry else default

    def names(self) -> Iterable[str]:
        """The names, lower-cased."""
        return self._d.keys()


class _Request:
    """What botocore's canonical request reads of a request."""

    __slots__ = ("body", "context", "headers", "method", "params", "url")

    def __init__(self, method: str, path: str, headers: Any, timestamp: str) -> None:
        self.method, self.url, self.headers = method, "http://cloudlet" + path, headers
        self.context, self.params, self.body = {"timestamp": timestamp}, {}, b""


def _query_pairs(query_string: str) -> list[tuple[str, str]]:
    """The query's parameters, percent-decoded (a ``+`` stays a plus): botocore encodes them
    again, as the canonical query string wants."""
    pairs = []
    for part in query_string.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def _s3_path(path: str) -> str:
    """S3's canonical URI: the key as decoded, encoded once again (``/`` and ``~`` kept)."""
    return quote(unquote_to_bytes(path), safe="/~")


@lru_cache(maxsize=256)
def _amz_time(value: str) -> float | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _http_time(value: str) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _basic(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%dT%H%M%SZ")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- the checks ----------------------------------------------------------------------------------


@dataclass
class _V4:
    access_key: str
    scope: str  # date/region/service/aws4_request
    date: str
    region: str
    service: str
    signed: list[str]
    provided: str
    presigned: bool
    timestamp: str = ""


class _Pending:
    """The rest of a check, which reads the body (in a worker thread when it is on disk)."""

    __slots__ = ("run",)

    def __init__(self, run: Callable[[], Refusal | None]) -> None:
        self.run = run


class Signatures:
    """The per-request signature check (one call site: ``Dispatcher.handle``)."""

    def __init__(self, clock: Clock, credentials: CredentialStore) -> None:
        self.clock = clock
        self.credentials = credentials

    @classmethod
    def of(cls, runtime: Runtime) -> Signatures:
        """The checks of a runtime, its credential store told the configured secrets and mode."""
        config = runtime.config
        runtime.credentials.configure(parse_credential_list(config.credentials), config.verify_signatures)
        return cls(runtime.clock, runtime.credentials)

    def check(self, request: Request, creds: Credentials, *, strict: bool = False) -> Verdict:
        """None when the request may go on; a :class:`Refusal`; or an awaitable of either when
        the body is on disk and has to be read. ``strict`` checks as ``--verify-signatures``
        does whatever the mode (function URLs with ``AWS_IAM``: services/awslambda/url_auth.py).

        First the key itself: one Cloudlet issued that has expired on the Cloudlet clock, or an
        IAM key deleted or made inactive, is refused whatever the mode (a key Cloudlet never
        issued costs one dict lookup here)."""
        if creds.malformed:
            return None
        if creds.access_key:
            principal = self.credentials.lookup(creds.access_key)
            if principal is not None:
                now = self.clock.now()
                if principal.revoked or principal.expiration <= now:
                    return self._refused_key(request, creds, principal.revoked)
                if not principal.temporary:
                    self.credentials.note_use(creds.access_key, creds.signing_name, creds.region, now)
        if not creds.scheme or creds.scheme == "sigv4a":
            return None
        s3 = creds.scheme == "sigv2" or creds.signing_name in _S3_NAMES
        verify_all = strict or self.credentials.verify_all
        if not s3 and not verify_all:
            return None
        secret = self.credentials.secret(creds.access_key)
        if secret is None:
            if not verify_all:
                return None  # a key Cloudlet cannot check: not checked
            if s3:
                return Refusal("unknown-key", s3=s3_unknown_key(creds.access_key))
            return Refusal("unknown-key")
        headers = _Headers(request.headers.raw)  # as sent (the parsers' view may change)
        if creds.scheme == "sigv2":
            result = self._sigv2(request, headers, creds.access_key, secret)
        else:
            result = self._sigv4(request, headers, secret, s3)
        if isinstance(result, _Pending):
            if request.body_file is None:
                return result.run()
            return asyncio.to_thread(result.run)
        return result

    @staticmethod
    def _refused_key(request: Request, creds: Credentials, revoked: bool) -> Refusal:
        """The answer to a revoked or expired key, in S3's terms when the request is for S3."""
        s3 = creds.scheme == "sigv2" or creds.signing_name in _S3_NAMES
        if revoked:
            return Refusal("unknown-key", s3=s3_unknown_key(creds.access_key) if s3 else None)
        if not s3:
            return Refusal("expired")
        token = request.headers.get("x-amz-security-token") or request.query.get("X-Amz-Security-Token", "")
        return Refusal("expired", s3=s3_expired_token(token))

    # -- time --
    def _skew(self, signed: float) -> float | None:
        """The service clock's time when ``signed`` is more than 15 minutes from both clocks."""
        now = self.clock.now()
        real = now - self.clock.offset
        if abs(signed - now) <= MAX_SKEW or abs(signed - real) <= MAX_SKEW:
            return None
        return now

    def _too_skewed(self, s3: bool, sent: str, signed: float, now: float) -> Refusal:
        if s3:  # unverified (not recorded): S3's fields, RequestTime as the request gave it
            return Refusal(
                "time",
                s3=ServiceError(
                    "RequestTimeTooSkewed",
                    "The difference between the request time and the current time is too large.",
                    403,
                    fields={
                        "RequestTime": sent,
                        "ServerTime": _iso(now),
                        "MaxAllowedSkewMilliseconds": str(MAX_SKEW * 1000),
                    },
                ),
            )
        if signed < now:  # unverified: Coral's wording as clients report it
            message = (
                f"Signature expired: {_basic(signed)} is now earlier than {_basic(now - MAX_SKEW)} "
                f"({_basic(now)} - 15 min.)"
            )
        else:
            message = (
                f"Signature not yet current: {_basic(signed)} is still later than "
                f"{_basic(now + MAX_SKEW)} ({_basic(now)} + 15 min.)"
            )
        return Refusal("time", message)

    # -- SigV4 --
    def _sigv4(self, request: Request, headers: _Headers, secret: str, s3: bool) -> Refusal | _Pending | None:
        v4 = _read_sigv4(request, headers)
        if v4 is None:
            return None  # incomplete: the service answers it (AuthorizationQueryParametersError, ...)
        if s3 and s3_endpoint_region(request.host) not in (None, v4.region):
            return None  # signed for another region than the endpoint's: S3 answers that first
        if not v4.presigned:
            refused = self._header_time(headers, v4, s3)
            if refused is not None:
                return refused
        if s3:
            unsigned = _not_signed(headers, v4.signed)
            # recorded for presigned URLs (test_put_url_metadata_with_sig_s3v4); for Authorization
            # headers, and the names' order beyond the recorded pair: unverified
            if unsigned:
                return Refusal(
                    "headers",
                    s3=ServiceError(
                        "AccessDenied",
                        HEADERS_NOT_SIGNED,
                        403,
                        fields={"HeadersNotSigned": ", ".join(unsigned)},
                    ),
                )
        declared = _raw(headers, "x-amz-content-sha256")
        if s3 and declared is None:
            if not v4.presigned:
                return Refusal(
                    "incomplete",
                    s3=ServiceError(
                        "InvalidRequest",
                        "Missing required header for this request: x-amz-content-sha256",
                        400,
                    ),  # message unverified
                )
            declared = _query_value(request, "x-amz-content-sha256") or UNSIGNED_PAYLOAD
        key = signing_key(secret, v4.date, v4.region, v4.service)
        signer_class = _botocore().S3V4 if s3 else _botocore().V4
        query = _query_pairs(request.query_string)
        if v4.presigned:
            query = [(k, v) for k, v in query if k != "X-Amz-Signature"]
        signer = signer_class(v4.scope, v4.signed, query, key)
        signer._service_name, signer._region_name = v4.service, v4.region
        path = _s3_path(request.path) if s3 else request.path
        target = _Request(request.method, path, headers, v4.timestamp)

        def verify(payload: str) -> Refusal | None:
            signer._payload = payload
            canonical = signer.canonical_request(target)
            string_to_sign = signer.string_to_sign(target, canonical)
            if same_signature(signer.signature(string_to_sign, target), v4.provided):
                return None
            if s3:
                return Refusal(
                    "signature", s3=s3_mismatch(v4.access_key, string_to_sign, v4.provided, canonical)
                )
            details = (
                f"\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
                f"The String-to-Sign should have been\n'{string_to_sign}'\n"
            )
            return Refusal("signature", SIGNATURE_MISMATCH, details=details)

        if declared is None:  # another service: the canonical request hashes the body
            return _Pending(lambda: verify(_body_sha256(request)))
        refused = verify(declared)
        if refused is not None:
            return refused
        if _HEX64.match(declared) and not s3:  # another service: the body must be the one signed
            return _Pending(lambda: _check_payload(request, declared, s3=False))
        if not s3:
            return None
        if _HEX64.match(declared):
            return _Pending(lambda: _check_payload(request, declared))
        if declared in (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER):
            return _Pending(lambda: _check_chunks(request, key, v4, declared == STREAMING_SIGNED_TRAILER))
        return None

    def _header_time(self, headers: _Headers, v4: _V4, s3: bool) -> Refusal | None:
        """The signing time of a header-signed request (``X-Amz-Date``, else ``Date``), and its
        skew from the clocks."""
        sent = _raw(headers, "x-amz-date")
        signed = _amz_time(sent) if sent is not None else None
        if sent is None:
            sent = _raw(headers, "date")
            signed = _http_time(sent) if sent is not None else None
        if signed is None or sent is None:
            if s3:
                return Refusal("incomplete", s3=_s3_no_date())
            auth = _raw(headers, "authorization") or ""
            return Refusal(  # unverified: Coral's wording as clients report it
                "incomplete",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                f"Authorization={auth}",
            )
        v4.timestamp = _basic(signed)
        now = self._skew(signed)
        if now is not None:
            return self._too_skewed(s3, sent, signed, now)
        return None

    # -- SigV2 (S3 only) --
    def _sigv2(self, request: Request, headers: _Headers, access_key: str, secret: str) -> Refusal | None:
        auth = _raw(headers, "authorization")
        if auth is None:  # presigned: AWSAccessKeyId, Signature, Expires
            query = dict(_query_pairs(request.query_string))
            provided, date = query.get("Signature"), query.get("Expires")
            if not provided or not date or not query.get("AWSAccessKeyId"):
                return None  # S3 answers the missing parameters
            for name, value in query.items():  # x-amz-* parameters count as headers (entry.py)
                lname = name.lower()
                if lname.startswith("x-amz-") and lname not in headers:
                    headers[lname] = value
        else:
            provided = auth.partition(" ")[2].rpartition(":")[2].strip()
            amz_date = _raw(headers, "x-amz-date")
            sent = amz_date if amz_date is not None else _raw(headers, "date")
            signed = _http_time(sent) if sent is not None else None
            if signed is None or sent is None:
                return Refusal("incomplete", s3=_s3_no_date())
            now = self._skew(signed)
            if now is not None:
                return self._too_skewed(True, sent, signed, now)
            date = "" if amz_date is not None else sent  # x-amz-date is signed among the x-amz headers
        auth_path = _s3_path_style(request.host, request.path)
        if auth_path is not None and request.path == "/":
            auth_path += "/"
        split = urlsplit(f"http://cloudlet{request.path}?{request.query_string}")
        v2 = _botocore().V2(secret, date)
        string_to_sign = v2.canonical_string(request.method, split, headers, auth_path=auth_path)
        if same_signature(v2.sign_string(string_to_sign), provided):
            return None
        return Refusal("signature", s3=s3_mismatch(access_key, string_to_sign, provided))


def _raw(headers: _Headers, name: str) -> str | None:
    """A header as the client sent it (repeats joined)."""
    found = headers.get_all(name)
    return ", ".join(found) if found else None


def _query_value(request: Request, name: str) -> str | None:
    """A query parameter, its name in any case."""
    return next((v for k, v in _query_pairs(request.query_string) if k.lower() == name), None)


def _read_sigv4(request: Request, headers: _Headers) -> _V4 | None:
    """The SigV4 signature of a request (header or presigned), or None when incomplete."""
    auth = _raw(headers, "authorization")
    if auth is None:
        query = request.query
        if any(not query.get(name) for name in _SIGV4_QUERY) or _amz_time(query["X-Amz-Date"]) is None:
            return None
        credential, signed, provided = (
            query["X-Amz-Credential"],
            query["X-Amz-SignedHeaders"],
            query["X-Amz-Signature"],
        )
        timestamp = query["X-Amz-Date"]
    else:
        fields = {}
        for part in auth.partition(" ")[2].split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value.strip()
        credential, signed, provided = (
            fields.get("Credential", ""),
            fields.get("SignedHeaders", ""),
            fields.get("Signature", ""),
        )
        timestamp = ""
    access_key, _, scope = credential.partition("/")
    parts = scope.split("/")
    if len(parts) != 4 or not provided:
        return None
    names = [name.strip().lower() for name in signed.split(";") if name.strip()]
    return _V4(access_key, scope, parts[0], parts[1], parts[2], names, provided, auth is None, timestamp)


def _not_signed(headers: _Headers, signed: list[str]) -> list[str]:
    """The ``x-amz-*`` headers of a request its signature does not cover (the payload hash is
    S3's to read either way: recorded, test_put_object_with_md5_and_chunk_signature_bad_headers)."""
    listed = set(signed)
    names = headers.names()
    return sorted(
        n for n in names if n.startswith("x-amz-") and n not in listed and n != "x-amz-content-sha256"
    )


def _body_source(request: Request) -> IO[bytes] | bytes:
    if request.body_file is not None:
        request.body_file.seek(0)
        return request.body_file
    return request.body


def _body_sha256(request: Request) -> str:
    source = _body_source(request)
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    while block := source.read(_READ):
        digest.update(block)
    source.seek(0)
    return digest.hexdigest()


def _check_payload(request: Request, declared: str, s3: bool = True) -> Refusal | None:
    """The body against the SHA-256 the signature covered: S3's own error, or (another
    service, which hashes the body itself) a signature mismatch."""
    computed = _body_sha256(request)
    if computed == declared:
        return None
    if not s3:
        return Refusal("signature", SIGNATURE_MISMATCH)
    return Refusal(  # unverified (not recorded): S3's documented error and its fields
        "payload",
        s3=ServiceError(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            400,
            fields={"ClientComputedContentSHA256": declared, "S3ComputedContentSHA256": computed},
        ),
    )


def _check_chunks(request: Request, key: bytes, v4: _V4, trailer: bool) -> Refusal | None:
    """The chunk signatures of a ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` body, each chaining on
    the one before from the seed (the Authorization header's), and with ``-TRAILER`` the
    trailing headers' signature. A body whose framing is broken is left to the aws-chunked
    decoder, which answers it (IncompleteBody)."""
    source = _body_source(request)
    reader: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    previous = v4.provided
    head = f"{v4.timestamp}\n{v4.scope}\n"
    try:
        while True:
            line = reader.readline(_MAX_LINE)
            if not line.endswith(b"\r\n"):
                return None
            size_text, _, extension = line[:-2].partition(b";")
            try:
                size = int(size_text.strip(), 16)
            except ValueError:
                return None
            name, _, provided_raw = extension.partition(b"=")
            provided = provided_raw.strip().decode("latin-1") if name.strip() == b"chunk-signature" else ""
            digest = hashlib.sha256()
            left = size
            while left > 0:
                block = reader.read(min(left, _READ))
                if not block:
                    return None
                digest.update(block)
                left -= len(block)
            string_to_sign = (
                f"AWS4-HMAC-SHA256-PAYLOAD\n{head}{previous}\n{EMPTY_SHA256}\n{digest.hexdigest()}"
            )
            expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
            if not same_signature(expected, provided):
                return _chunk_mismatch(v4, string_to_sign, provided)
            previous = provided
            if size == 0:
                break
            if reader.read(2) != b"\r\n":
                return None
        if trailer:
            return _check_trailer(reader, key, v4, head, previous)
        return None
    finally:
        if request.body_file is not None:
            request.body_file.seek(0)


def _check_trailer(reader: Any, key: bytes, v4: _V4, head: str, previous: str) -> Refusal | None:
    """``AWS4-HMAC-SHA256-TRAILER``: the trailing headers, one ``name:value\\n`` each, hashed
    (the canonical form of the trailers is unverified)."""
    canonical, provided = [], ""
    while line := reader.readline(_MAX_LINE):
        text = line.strip().decode("latin-1")
        if not text:
            continue
        name, _, value = text.partition(":")
        if name.strip().lower() == "x-amz-trailer-signature":
            provided = value.strip()
        else:
            canonical.append(f"{name.strip().lower()}:{value.strip()}\n")
    digest = hashlib.sha256("".join(canonical).encode()).hexdigest()
    string_to_sign = f"AWS4-HMAC-SHA256-TRAILER\n{head}{previous}\n{digest}"
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if same_signature(expected, provided):
        return None
    return _chunk_mismatch(v4, string_to_sign, provided)


def _chunk_mismatch(v4: _V4, string_to_sign: str, provided: str) -> Refusal:
    # S3 answers a chunk whose signature is wrong with SignatureDoesNotMatch (its fields: unverified)
    return Refusal("signature", s3=s3_mismatch(v4.access_key, string_to_sign, provided))
