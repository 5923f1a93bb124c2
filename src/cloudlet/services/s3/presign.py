"""Query-string authentication (presigned URLs, SigV4 and SigV2) and POST policy expiry,
judged on the service clock.

S3 compares a URL's expiry with its own clock. Cloudlet's clock may run ahead of real time
(tests move it), and the signer's clock may be either: an SDK signing as usual uses the
machine's real clock, a test may sign at the service's time. :class:`SignerClock` tells
which from the signing time and shifts the signer's times onto the service clock:

- SigV4 (``X-Amz-Date``, a POST's ``x-amz-date``): a signing time later than real time can
  only come from the service clock, so it is taken as is. Otherwise the signer used real
  time, and its times are shifted by the offset the service clock had at that real moment
  (the clock's offsets are recorded as they change). A URL signed with real time and used,
  then the clock advanced past its expiry, is refused, as a test expects.
- SigV2 (an absolute ``Expires``, no signing time): on first sight, an expiry still ahead
  on the service clock is taken as is; one already behind it but ahead of real time was
  written with real time, and is shifted by the clock's offset at that moment.

A SigV4 signing time more than 15 minutes ahead of the service clock is refused as S3 refuses
it ("Request is not yet valid"); a signer on real time can never be ahead of the service clock,
which only runs ahead of real time. The signature itself (which covers ``X-Amz-Date`` and
``X-Amz-Expires``, so editing either breaks it) is checked before, by gateway/signatures.py,
for keys whose secret Cloudlet knows; these checks apply to every presigned URL.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime
from typing import Any

from cloudlet.core.clock import Clock
from cloudlet.protocol.errors import ServiceError

MAX_EXPIRES = 604800
MAX_SKEW = 15 * 60  # how far ahead of the clock a signing time may be
_SIGV4_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)
_SIGV2_PARAMS = ("AWSAccessKeyId", "Signature", "Expires")
_HISTORY = 4096
_SEEN = 10_000


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amz_date(value: str) -> float | None:
    """Seconds since the epoch of an ISO 8601 basic time (``20260101T120000Z``)."""
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


class SignerClock:
    """Maps signers' times onto the service clock (a timer source of it, to see it move)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._times: list[float] = [self._real_now()]
        self._offsets: list[float] = [clock.offset]
        self._first_seen: dict[str, float] = {}
        clock.add_source(self)

    def _real_now(self) -> float:
        return self.clock.now() - self.clock.offset

    # -- timer source: nothing is ever due; an advance is the moment to note the offset --
    def next_due(self) -> float | None:
        return None

    async def run_due(self) -> int:
        self._note()
        return 0

    def _note(self) -> None:
        if self.clock.offset != self._offsets[-1]:
            self._times.append(self._real_now())
            self._offsets.append(self.clock.offset)
            if len(self._times) > _HISTORY:
                del self._times[: _HISTORY // 2], self._offsets[: _HISTORY // 2]

    def reset(self) -> None:
        self._times, self._offsets = [self._real_now()], [self.clock.offset]
        self._first_seen.clear()

    def offsets_during(self, start: float, end: float) -> list[float]:
        """The service clock's offsets in effect at some real time in ``[start, end]``, ascending."""
        self._note()
        first = max(0, bisect.bisect_right(self._times, start) - 1)
        last = max(first, bisect.bisect_right(self._times, end) - 1)
        return self._offsets[first : last + 1]

    def shift_signed_at(self, token: str, signed: float, deadline: float) -> float:
        """What to add to the times of a signer that signed at ``signed`` (its own clock) and
        gave ``deadline``, decided on first sight of ``token`` (its signature).

        A signing time later than real time comes from the service clock (nothing to add).
        Otherwise it is real time, and the clock's offset then is what to add; signing times
        are whole seconds, so when the clock moved during that second, the smallest offset
        that leaves the URL valid now is taken (it was most likely used as soon as signed).
        """
        shift = self._first_seen.get(token)
        if shift is None:
            real = self._real_now()
            if signed > real:
                shift = 0.0
            else:
                offsets = self.offsets_during(signed, min(signed + 1, real))
                now = self.clock.now()
                shift = next((o for o in offsets if deadline + o >= now), offsets[-1])
            self._remember(token, shift)
        return shift

    def _remember(self, token: str, shift: float) -> None:
        if len(self._first_seen) > _SEEN:
            self._first_seen.clear()
        self._first_seen[token] = shift

    def shift_first_seen(self, token: str, deadline: float) -> float:
        """What to add to an absolute expiry with no signing time, decided on first sight."""
        shift = self._first_seen.get(token)
        if shift is None:
            shift = 0.0 if deadline > self.clock.now() else self.clock.offset
            self._remember(token, shift)
        return shift


def _expired(now: float, deadline: float, **fields: str) -> ServiceError:
    return ServiceError(
        "AccessDenied",
        "Request has expired",
        403,
        fields={**fields, "Expires": iso(deadline), "ServerTime": iso(now)},
    )


def _query_error(message: str) -> ServiceError:
    return ServiceError("AuthorizationQueryParametersError", message, 400)


def check_query_auth(query: dict[str, Any], signer: SignerClock) -> None:
    """Refuse a presigned request with missing parameters, or past its expiry."""
    if any(name in query for name in ("AWSAccessKeyId", "Signature")):
        _check_sigv2(query, signer)
    elif any(name in query for name in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature")):
        _check_sigv4(query, signer)


def _check_sigv2(query: dict[str, Any], signer: SignerClock) -> None:
    if any(not query.get(name) for name in _SIGV2_PARAMS):
        raise ServiceError(
            "AccessDenied",
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
            403,
        )
    try:
        deadline = int(query["Expires"])
    except ValueError:
        raise ServiceError("AccessDenied", "Invalid date (should be seconds since epoch)", 403) from None
    now = signer.clock.now()
    deadline += signer.shift_first_seen(query["Signature"], deadline)
    if now > deadline:
        raise _expired(now, deadline)


def _check_sigv4(query: dict[str, Any], signer: SignerClock) -> None:
    if any(not query.get(name) for name in _SIGV4_PARAMS):
        raise _query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
        )
    signed = amz_date(query["X-Amz-Date"])
    if signed is None:
        raise _query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    try:
        seconds = int(query["X-Amz-Expires"])
    except ValueError:
        raise _query_error("X-Amz-Expires should be a number") from None
    if seconds < 0:
        raise _query_error("X-Amz-Expires must be non-negative")
    if seconds > MAX_EXPIRES:
        raise _query_error("X-Amz-Expires must be less than a week (in seconds) that is 604800")
    now = signer.clock.now()
    if signed > now + MAX_SKEW:
        raise _not_yet_valid(now, signed, seconds)
    deadline = signed + seconds
    deadline += signer.shift_signed_at(query["X-Amz-Signature"], signed, deadline)
    if now > deadline:
        raise _expired(now, deadline, **{"X-Amz-Expires": str(seconds)})


def _not_yet_valid(now: float, signed: float, seconds: int) -> ServiceError:
    """S3's answer to a URL signed in the future, as users report it (not recorded): the
    signing time in epoch milliseconds, the expiry and the server's time."""
    return ServiceError(  # unverified (not recorded)
        "AccessDenied",
        "Request is not yet valid",
        403,
        fields={
            "X-Amz-Date": str(int(signed * 1000)),
            "Expires": iso(signed + seconds),
            "ServerTime": iso(now),
        },
    )


def post_policy_shift(fields: dict[str, str], deadline: float, signer: SignerClock) -> float:
    """What to add to a POST policy's expiration (SigV4 forms carry their signing time)."""
    token = fields.get("x-amz-signature") or fields.get("signature") or fields.get("policy", "")
    signed = amz_date(fields.get("x-amz-date", ""))
    if signed is not None:
        return signer.shift_signed_at(token, signed, deadline)
    return signer.shift_first_seen(token, deadline)
