"""Resource policies: parsing and the public-access check of BlockPublicPolicy."""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.protocol.errors import ServiceError


def parse_policy(text: str) -> dict[str, Any]:
    """The policy document, or MalformedPolicyDocumentException."""
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict) or "Statement" not in document:
        # unverified: AWS's wording
        raise ServiceError(
            "MalformedPolicyDocumentException", "This resource policy contains a syntax error.", 400
        )
    return document


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def is_public(document: dict[str, Any]) -> bool:
    """Whether an Allow statement grants access to any principal without a condition."""
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if _everyone(statement.get("Principal")) and not statement.get("Condition"):
            return True
    return False
