"""A function URL's auth type enforced: ``NONE`` through the resource policy, ``AWS_IAM``
through a SigV4 signature (and the resource policy for callers of other accounts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudlet.core.policy import PolicyError, Source, context_of, evaluate, parse_policy
from cloudlet.core.policy import Request as PolicyRequest
from cloudlet.gateway.detect import account_for, parse_credentials
from cloudlet.gateway.request import Request
from cloudlet.gateway.signatures import Refusal
from cloudlet.services.awslambda.url_answers import FORBIDDEN, Refused, error

if TYPE_CHECKING:
    from cloudlet.gateway.entrypoints import Front
    from cloudlet.services.awslambda.provider import LambdaProvider
    from cloudlet.services.awslambda.urls import FunctionUrl


@dataclass(frozen=True)
class Caller:
    """Who signed a request to an ``AWS_IAM`` URL (``requestContext.authorizer.iam``)."""

    access_key: str
    account: str
    arn: str
    user_id: str

    def iam(self) -> dict[str, Any]:
        return {
            "accessKey": self.access_key,
            "accountId": self.account,
            "callerId": self.user_id,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": self.arn,
            "userId": self.user_id,
        }


async def authorize(
    front: Front, provider: LambdaProvider, url: FunctionUrl, request: Request, request_id: str
) -> Caller | None:
    """The caller of an ``AWS_IAM`` URL (None for ``NONE``), or :class:`Refused` with 403.

    ``NONE``: the resource policy (of the URL's alias, or of the function) must allow
    ``lambda:InvokeFunctionUrl`` to anyone, given ``lambda:FunctionUrlAuthType`` = ``NONE``.
    ``AWS_IAM``: a SigV4 signature for ``lambda`` with a key Cloudlet knows (configured or
    issued), checked whatever ``--verify-signatures`` says; a caller of another account also
    needs the resource policy to allow it. Identity policies are not evaluated (Cloudlet
    enforces no IAM policy yet), so a caller of the function's own account is let in unless
    the resource policy denies it."""
    forbidden = Refused(error(403, "AccessDeniedException", FORBIDDEN, request_id))
    if url.auth_type != "AWS_IAM":
        if not _policy_allows(provider, url, None, request):
            raise forbidden
        return None
    caller = await _signed_caller(front, url, request, request_id)
    if not _policy_allows(provider, url, caller, request):
        raise forbidden
    return caller


async def _signed_caller(front: Front, url: FunctionUrl, request: Request, request_id: str) -> Caller:
    creds = parse_credentials(request)
    if creds.scheme != "sigv4" or creds.malformed or not _complete_sigv4(request):
        raise Refused(error(403, "AccessDeniedException", FORBIDDEN, request_id))  # unverified for IAM
    if creds.signing_name != "lambda":  # unverified: AWS's wording
        message = "Credential should be scoped to correct service: 'lambda'."
        raise Refused(error(403, "InvalidSignatureException", message, request_id))
    if creds.region != url.ref.region:  # unverified: AWS's wording
        message = "Credential should be scoped to a valid region."
        raise Refused(error(403, "InvalidSignatureException", message, request_id))
    verdict = front.dispatcher.signatures.check(request, creds, strict=True)
    if verdict is not None and not isinstance(verdict, Refusal):
        verdict = await verdict
    if verdict is not None:
        refused = verdict.error("lambda", "rest-json")
        raise Refused(error(403, refused.code, refused.message, request_id))  # unverified: the form
    principal = front.runtime.credentials.lookup(creds.access_key)
    if principal is not None:
        return Caller(creds.access_key, principal.account, principal.arn, principal.user_id)
    account = account_for(creds.access_key)  # a configured key: the account's root, as STS says
    return Caller(creds.access_key, account, f"arn:aws:iam::{account}:root", account)


def _complete_sigv4(request: Request) -> bool:
    """Whether the request carries a whole SigV4 signature (header or presigned query)."""
    auth = request.headers.get("authorization")
    if auth is not None:
        return auth.startswith("AWS4-HMAC-SHA256 ") and all(
            f"{part}=" in auth for part in ("Credential", "SignedHeaders", "Signature")
        )
    query = request.query
    return all(
        query.get(name)
        for name in (
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Signature",
            "X-Amz-Date",
            "X-Amz-SignedHeaders",
        )
    )


def _policy_allows(
    provider: LambdaProvider, url: FunctionUrl, caller: Caller | None, request: Request
) -> bool:
    """What the resource policy says of ``lambda:InvokeFunctionUrl`` for this caller."""
    from cloudlet.services.awslambda.permissions import document

    ref = url.ref
    statements = provider.function_policy(ref.account, ref.region, ref.name, ref.qualifier or "")
    decision = "implicitDeny"
    if statements:
        try:
            policy = parse_policy(document(statements), "resource")
        except PolicyError:
            policy = None
        if policy is not None:
            asked = PolicyRequest(
                "lambda:InvokeFunctionUrl",
                ref.arn(),
                context_of(
                    {
                        "lambda:FunctionUrlAuthType": url.auth_type,
                        "aws:SourceIp": request.client or "127.0.0.1",
                    }
                ),
                principal_arn=caller.arn if caller else "",
                principal_account=caller.account if caller else "",
            )
            decision = evaluate(asked, resource=[Source(policy, policy_type="Resource Policy")]).decision
    if caller is None or decision == "explicitDeny":
        return decision == "allowed"
    return decision == "allowed" or caller.account == ref.account
