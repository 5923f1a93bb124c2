"""AWS STS: caller identity and temporary credentials.

Issued credentials are remembered (core.credentials), so a request signed with them acts
in the account of the role it assumed and GetCallerIdentity names the assumed role.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

import orjson

from cloudlet.core import ids
from cloudlet.core.arn import parse_arn
from cloudlet.gateway.detect import account_for
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import Provider, RequestContext

DEFAULT_ROLE_SECONDS = 3600
DEFAULT_SESSION_SECONDS = 43200


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message, 400)


def _role_id(role_arn: str) -> str:
    """A stable unique id for a role (AROA + 17 characters), derived from its ARN."""
    digest = base64.b32encode(hashlib.sha256(role_arn.encode()).digest()).decode()
    return "AROA" + digest[:17]


def _check_tags(params: dict[str, Any]) -> None:
    tags = params.get("Tags") or []
    keys = [t["Key"] for t in tags]
    if len({k.lower() for k in keys}) != len(keys):
        raise _invalid("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    lowered = {k.lower() for k in keys}
    for key in params.get("TransitiveTagKeys") or []:
        if key.lower() not in lowered:
            raise _invalid("The specified transitive tag key must be included in the requested tags.")


def _jwt_claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise ServiceError("InvalidIdentityToken", "The ID token provided is not a valid JWT.", 400)
    body = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(body))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise ServiceError("InvalidIdentityToken", "The ID token provided is not a valid JWT.", 400) from exc
    if not isinstance(claims, dict):
        raise ServiceError("InvalidIdentityToken", "The ID token provided is not a valid JWT.", 400)
    return claims


class StsProvider(Provider):
    service = "sts"

    # -- helpers --
    def _issue(self, account: str, arn: str, user_id: str, seconds: int, source: str | None = None) -> dict:
        access_key = ids.access_key_id("ASIA")
        secret = ids.secret_key()
        token = base64.b64encode(secrets.token_bytes(96)).decode()
        expiration = self.clock.now() + seconds
        with self.store.transaction():
            self.runtime.credentials.issue(
                access_key, secret, token, account, arn, user_id, expiration, source
            )
        return {
            "AccessKeyId": access_key,
            "SecretAccessKey": secret,
            "SessionToken": token,
            "Expiration": datetime.fromtimestamp(expiration, UTC),
        }

    @staticmethod
    def _role(role_arn: str) -> tuple[str, str, str]:
        """(account, role name, partition) of a role ARN, or the error AWS gives."""
        try:
            arn = parse_arn(role_arn)
        except ValueError:
            raise ServiceError("ValidationError", f"{role_arn} is invalid", 400) from None
        if not arn.service or not arn.resource or arn.resource.endswith(":"):
            raise ServiceError("ValidationError", f"{role_arn} is invalid", 400)
        name = arn.resource.rsplit("/", 1)[-1]
        return arn.account or "000000000000", name, arn.partition

    def _assume(self, params: dict[str, Any], seconds: int, source: str | None) -> dict[str, Any]:
        account, role_name, partition = self._role(params["RoleArn"])
        session = params["RoleSessionName"]
        role_id = _role_id(params["RoleArn"])
        assumed_arn = f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}"
        user_id = f"{role_id}:{session}"
        out: dict[str, Any] = {
            "Credentials": self._issue(account, assumed_arn, user_id, seconds, source),
            "AssumedRoleUser": {"AssumedRoleId": user_id, "Arn": assumed_arn},
        }
        if params.get("Policy") or params.get("Tags") or params.get("PolicyArns"):
            out["PackedPolicySize"] = self._packed_size(params)
        if source:
            out["SourceIdentity"] = source
        return out

    @staticmethod
    def _packed_size(params: dict[str, Any]) -> int:
        size = len(params.get("Policy") or "") + sum(
            len(t["Key"]) + len(t["Value"]) for t in params.get("Tags") or []
        )
        return min(100, max(1, size // 20))

    # -- operations --
    def get_caller_identity(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        principal = self.runtime.credentials.lookup(ctx.access_key) if ctx.access_key else None
        if principal is not None:
            return {"UserId": principal.user_id, "Account": principal.account, "Arn": principal.arn}
        return {
            "UserId": ctx.account,
            "Account": ctx.account,
            "Arn": f"arn:{ctx.partition}:iam::{ctx.account}:root",
        }

    def assume_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_tags(params)
        seconds = params.get("DurationSeconds") or DEFAULT_ROLE_SECONDS
        return self._assume(params, seconds, params.get("SourceIdentity"))

    def assume_role_with_web_identity(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        claims = _jwt_claims(params["WebIdentityToken"])
        seconds = params.get("DurationSeconds") or DEFAULT_ROLE_SECONDS
        out = self._assume(params, seconds, None)
        audience = claims.get("aud")
        if isinstance(audience, list):
            audience = audience[0] if audience else None
        out["SubjectFromWebIdentityToken"] = str(claims.get("sub", ""))
        if claims.get("iss"):
            out["Provider"] = str(claims["iss"]).removeprefix("https://")
        if audience:
            out["Audience"] = str(audience)
        return out

    def get_session_token(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        seconds = params.get("DurationSeconds") or DEFAULT_SESSION_SECONDS
        caller = self.get_caller_identity(ctx, {})
        return {"Credentials": self._issue(caller["Account"], caller["Arn"], caller["UserId"], seconds)}

    def get_federation_token(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_tags(params)
        name = params["Name"]
        seconds = params.get("DurationSeconds") or DEFAULT_SESSION_SECONDS
        arn = f"arn:{ctx.partition}:sts::{ctx.account}:federated-user/{name}"
        user_id = f"{ctx.account}:{name}"
        return {
            "Credentials": self._issue(ctx.account, arn, user_id, seconds),
            "FederatedUser": {"FederatedUserId": user_id, "Arn": arn},
            "PackedPolicySize": self._packed_size(params)
            if params.get("Policy") or params.get("Tags")
            else 0,
        }

    def get_access_key_info(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = params["AccessKeyId"]
        principal = self.runtime.credentials.lookup(key)
        return {"Account": principal.account if principal else account_for(key)}

    def resource_counts(self) -> dict[str, int]:
        count = self.runtime.credentials.count()
        return {"issued_credentials": count} if count else {}
