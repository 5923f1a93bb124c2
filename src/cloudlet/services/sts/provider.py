"""AWS STS: caller identity and temporary credentials.

Issued credentials are remembered (core.credentials), so a request signed with them acts
in the account of the role it assumed and GetCallerIdentity names the assumed role; the
gateway refuses them once the Cloudlet clock passes their expiry.

AssumeRole and AssumeRoleWithWebIdentity check the role as AWS does: it must exist in IAM,
in the account its ARN names, and its trust policy must allow the caller (core.policy's
evaluator, with the request's condition keys); DurationSeconds is held to the role's
MaxSessionDuration, and to one hour for role chaining. Session tags pass on to chained
sessions when transitive. ``--sts-skip-role-checks`` turns the existence and trust checks off.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from cloudlet.core import ids
from cloudlet.core.arn import parse_arn
from cloudlet.core.credentials import Principal
from cloudlet.core.policy import Policy, PolicyError, Request, Source, evaluate, parse_policy
from cloudlet.gateway.detect import account_for
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.iam.interface import Kind, directory

DEFAULT_ROLE_SECONDS = 3600
DEFAULT_SESSION_SECONDS = 43200
CHAINED_MAX_SECONDS = 3600

# Identity providers a trust policy names by their own name ("Federated": "accounts.google.com");
# any other issuer is an IAM OIDC provider of the role's account, named by its ARN.
WELL_KNOWN_PROVIDERS = frozenset(
    {"accounts.google.com", "graph.facebook.com", "www.amazon.com", "cognito-identity.amazonaws.com"}
)
# Claims a trust policy may test as "<provider>:<claim>" (IAM User Guide, "Available keys for
# AWS web identity federation").
_TOKEN_CLAIMS = ("aud", "sub", "amr", "azp", "oaud", "email")


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


def _denied(caller_arn: str, action: str, role_arn: str) -> ServiceError:
    return ServiceError(
        "AccessDenied",
        f"User: {caller_arn} is not authorized to perform: {action} on resource: {role_arn}",
        403,
    )


def _duration_error(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)


@lru_cache(maxsize=512)
def _trust(document: str) -> Policy | None:
    """A role's trust policy, parsed once (None: it does not parse, so it allows no one)."""
    try:
        return parse_policy(document, "trust")
    except PolicyError:
        return None


def _session_tags(params: dict[str, Any], caller: Principal | None) -> tuple[dict[str, str], list[str]]:
    """The tags and transitive tag keys of a new session: the caller's transitive tags, which
    cannot be set again, then the requested ones."""
    inherited: dict[str, str] = {}
    if caller is not None and caller.transitive:
        keys = {k.lower() for k in caller.transitive}
        inherited = {k: v for k, v in caller.tags.items() if k.lower() in keys}
    fixed = {k.lower() for k in inherited}
    tags = dict(inherited)
    for tag in params.get("Tags") or []:
        if tag["Key"].lower() in fixed:
            raise _invalid(
                "One of the specified transitive tag keys can't be set because it conflicts with a "
                "transitive tag key from the calling session."
            )
        tags[tag["Key"]] = tag["Value"]
    transitive = list(inherited) + list(params.get("TransitiveTagKeys") or [])
    return tags, transitive


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
    def _issue(
        self,
        account: str,
        arn: str,
        user_id: str,
        seconds: int,
        source: str | None = None,
        tags: dict[str, str] | None = None,
        transitive: list[str] | None = None,
    ) -> dict:
        access_key = ids.access_key_id("ASIA")
        secret = ids.secret_key()
        token = base64.b64encode(secrets.token_bytes(96)).decode()
        expiration = self.clock.now() + seconds
        with self.store.transaction():
            self.runtime.credentials.issue(
                access_key, secret, token, account, arn, user_id, expiration, source, tags, transitive or ()
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

    def _iam_entity(self, account: str, kind: Kind, key: str) -> dict[str, Any] | None:
        iam = directory(self.runtime)
        return iam.entity(account, kind, key) if iam is not None else None

    def _iam_role(self, role_arn: str, account: str, name: str) -> dict[str, Any] | None:
        """The IAM role ``role_arn`` names (its path too), or None."""
        role = self._iam_entity(account, "role", name)
        if role is None or not role_arn.startswith("arn:") or role["Arn"].lower() != role_arn.lower():
            return None
        return role

    def _caller_context(self, ctx: RequestContext, caller: Principal | None) -> dict[str, list[str]]:
        """The aws:* condition keys of the caller: principal ARN and account, principal tags
        (an IAM user's tags; a session's role tags overridden by its session tags), source identity."""
        now = self.clock.now()
        context: dict[str, list[str]] = {
            "aws:currenttime": [datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
            "aws:epochtime": [str(int(now))],
            "aws:principalaccount": [caller.account if caller else ctx.account],
        }
        if caller is None:
            context["aws:principalarn"] = [f"arn:{ctx.partition}:iam::{ctx.account}:root"]
            context["aws:userid"] = [ctx.account]
            return context
        context["aws:userid"] = [caller.user_id]
        tags: dict[str, str] = {}
        principal_arn = caller.arn
        if caller.is_session:
            role_name = caller.arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
            role = self._iam_entity(caller.account, "role", role_name)
            partition = caller.arn.split(":", 2)[1]
            principal_arn = role["Arn"] if role else f"arn:{partition}:iam::{caller.account}:role/{role_name}"
            tags = {t["Key"]: t["Value"] for t in (role or {}).get("Tags") or []}
        elif ":user/" in caller.arn:
            user = self._iam_entity(caller.account, "user", caller.arn.rsplit("/", 1)[-1])
            tags = {t["Key"]: t["Value"] for t in (user or {}).get("Tags") or []}
        tags.update(caller.tags)
        context["aws:principalarn"] = [principal_arn]
        for key, value in tags.items():
            context[f"aws:principaltag/{key.lower()}"] = [value]
        if caller.source_identity:
            context["aws:sourceidentity"] = [caller.source_identity]
        return context

    def _allowed(self, role: dict[str, Any], request: Request) -> bool:
        trust = _trust(role["AssumeRolePolicyDocument"])
        if trust is None:
            return False
        return evaluate(request, resource=[Source(trust, policy_type="Trust Policy")]).decision == "allowed"

    def _check_duration(self, role: dict[str, Any] | None, seconds: int, chained: bool) -> None:
        if chained and seconds > CHAINED_MAX_SECONDS:
            # unverified: wording of the role-chaining limit
            raise _duration_error(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
            )
        if role is not None and seconds > int(role.get("MaxSessionDuration") or 3600):
            raise _duration_error(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )

    def _assume(
        self,
        params: dict[str, Any],
        role: dict[str, Any] | None,
        seconds: int,
        source: str | None,
        caller: Principal | None = None,
    ) -> dict[str, Any]:
        role_arn = params["RoleArn"]
        account, role_name, partition = self._role(role_arn)
        session = params["RoleSessionName"]
        role_id = role["RoleId"] if role else _role_id(role_arn)
        assumed_arn = f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}"
        user_id = f"{role_id}:{session}"
        tags, transitive = _session_tags(params, caller)
        if caller is not None and caller.source_identity:
            source = caller.source_identity  # a chained session keeps the source identity it was given
        out: dict[str, Any] = {
            "Credentials": self._issue(account, assumed_arn, user_id, seconds, source, tags, transitive),
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
        role_arn = params["RoleArn"]
        account, name, _ = self._role(role_arn)
        caller = self.runtime.credentials.lookup(ctx.access_key) if ctx.access_key else None
        caller_arn = caller.arn if caller else f"arn:{ctx.partition}:iam::{ctx.account}:root"
        role = self._iam_role(role_arn, account, name)
        if not self.runtime.config.sts_skip_role_checks:
            if role is None:
                raise _denied(caller_arn, "sts:AssumeRole", role_arn)
            context = self._caller_context(ctx, caller)
            context["sts:rolesessionname"] = [params["RoleSessionName"]]
            if params.get("ExternalId"):
                context["sts:externalid"] = [params["ExternalId"]]
            if params.get("SourceIdentity"):
                context["sts:sourceidentity"] = [params["SourceIdentity"]]
            tags = params.get("Tags") or []
            for tag in tags:
                context[f"aws:requesttag/{tag['Key'].lower()}"] = [tag["Value"]]
            if tags:
                context["aws:tagkeys"] = [t["Key"] for t in tags]
            if params.get("TransitiveTagKeys"):
                context["sts:transitivetagkeys"] = list(params["TransitiveTagKeys"])
            request = Request(
                "sts:AssumeRole",
                role_arn,
                context,
                principal_arn=caller_arn,
                principal_account=caller.account if caller else ctx.account,
            )
            if not self._allowed(role, request):
                raise _denied(caller_arn, "sts:AssumeRole", role_arn)
            if tags:
                request.action = "sts:TagSession"
                if not self._allowed(role, request):
                    raise _denied(caller_arn, "sts:TagSession", role_arn)
        seconds = params.get("DurationSeconds") or DEFAULT_ROLE_SECONDS
        self._check_duration(role, seconds, chained=caller is not None and caller.is_session)
        answer = self._assume(params, role, seconds, params.get("SourceIdentity"), caller)
        self._used(role, account, name, ctx.region)
        return answer

    def _used(self, role: dict[str, Any] | None, account: str, name: str, region: str) -> None:
        """The role's RoleLastUsed (AWS updates it within hours; here at once)."""
        iam = directory(self.runtime)
        if role is not None and iam is not None:
            iam.role_used(account, name, region, self.clock.now())

    def assume_role_with_web_identity(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        claims = _jwt_claims(params["WebIdentityToken"])
        role_arn = params["RoleArn"]
        account, name, partition = self._role(role_arn)
        issuer = str(claims.get("iss") or "").removeprefix("https://")
        provider = params.get("ProviderId") or issuer
        role = self._iam_role(role_arn, account, name)
        if not self.runtime.config.sts_skip_role_checks:
            if provider in WELL_KNOWN_PROVIDERS:
                federated = provider
            else:
                oidc = self._iam_entity(account, "oidc", provider) if provider else None
                if oidc is None:
                    # unverified: wording when the issuer is no OIDC provider of the account
                    raise ServiceError(
                        "InvalidIdentityToken",
                        f"No OpenIDConnect provider found in your account for https://{provider}",
                        400,
                    )
                _check_audience(claims, oidc.get("ClientIDList") or [])
                federated = f"arn:{partition}:iam::{account}:oidc-provider/{provider}"
            _check_token_time(claims, self.clock.now())
            context: dict[str, list[str]] = {"sts:rolesessionname": [params["RoleSessionName"]]}
            for claim in _TOKEN_CLAIMS:
                value = claims.get(claim)
                if isinstance(value, str):
                    context[f"{provider.lower()}:{claim}"] = [value]
                elif isinstance(value, list):
                    context[f"{provider.lower()}:{claim}"] = [str(v) for v in value]
            request = Request(
                "sts:AssumeRoleWithWebIdentity", role_arn, context, federated_provider=federated
            )
            if role is None or not self._allowed(role, request):
                # unverified: AWS's wording for web identity names no caller
                raise ServiceError(
                    "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403
                )
        seconds = params.get("DurationSeconds") or DEFAULT_ROLE_SECONDS
        self._check_duration(role, seconds, chained=False)
        out = self._assume(params, role, seconds, None)
        self._used(role, account, name, ctx.region)
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
        principal = self.runtime.credentials.lookup(ctx.access_key) if ctx.access_key else None
        if principal is not None and principal.temporary:
            # as AWS answers it (IAM User Guide, "Compare AWS STS credentials"; wording unverified)
            raise ServiceError("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
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


def _check_audience(claims: dict[str, Any], client_ids: list[str]) -> None:
    """The token's audience (``aud``, a string or a list) must be one of the provider's client
    ids, as AWS checks it."""
    audience = claims.get("aud")
    given = audience if isinstance(audience, list) else [audience]
    if not any(isinstance(a, str) and a in client_ids for a in given):
        raise ServiceError("InvalidIdentityToken", "Incorrect token audience", 400)


def _check_token_time(claims: dict[str, Any], now: float) -> None:
    """An expired token (``exp`` before the Cloudlet clock) is refused as AWS refuses it."""
    expires = claims.get("exp")
    if isinstance(expires, int | float) and not isinstance(expires, bool) and expires <= now:
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        ends = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        # unverified: the wording beyond its start, as users quote it
        raise ServiceError(
            "ExpiredTokenException",
            f"Token expired: current date/time {stamp} must be before the expiration date/time {ends}",
            400,
        )
