"""Code.Location: links that download a package, like AWS's presigned S3 URLs.

A link is ``http://<host>/_lambda/code/<token>``, the token ``<code_id>.<expiry>.<hmac>``
signed with a secret kept in the store (so links survive a restart); it expires 10
minutes after it was made, on the Cloudlet clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from cloudlet.core.clock import Clock
from cloudlet.store.db import Store

if TYPE_CHECKING:
    from cloudlet.services.base import RequestContext

PATH = "/_lambda/code/"
LIFETIME = 600.0
_SECRET = "lambda.code_link_secret"


class CodeLinks:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._secret: bytes | None = None

    def _key(self) -> bytes:
        if self._secret is None:
            value = self.store.get_meta(_SECRET)
            if value is None:
                value = secrets.token_hex(32)
                with self.store.transaction():
                    self.store.set_meta(_SECRET, value)
            self._secret = bytes.fromhex(value)
        return self._secret

    def _sign(self, body: str) -> str:
        return hmac.new(self._key(), body.encode(), hashlib.sha256).hexdigest()

    def location(self, ctx: RequestContext, code_id: str) -> str:
        host = ctx.request.host if ctx.request is not None and ctx.request.host else "localhost:4566"
        body = f"{code_id}.{int(self.clock.now() + LIFETIME)}"
        return f"http://{host}{PATH}{body}.{self._sign(body)}"

    def code_id(self, token: str) -> str | None:
        """The package a token names, if it is genuine and not expired."""
        parts = token.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        body = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._sign(body), parts[2]):
            return None
        if int(parts[1]) < self.clock.now():
            return None
        return parts[0]
