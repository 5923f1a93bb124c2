"""Stored IAM entities as the output shapes of the model (Role, User, Policy, ...)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from cloudlet.services.iam.managed import AWS_CREATED, ManagedPolicy


def when(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def document(text: str) -> str:
    """A policy document as IAM answers it: URL-encoded (SDKs decode it)."""
    return quote(text, safe="")


def boundary(arn: str | None) -> dict[str, str] | None:
    if not arn:
        return None
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}


def _drop_none(out: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in out.items() if v is not None and v != []}


def user(data: dict[str, Any], *, tags: bool = True) -> dict[str, Any]:
    return _drop_none(
        {
            "Path": data["Path"],
            "UserName": data["UserName"],
            "UserId": data["UserId"],
            "Arn": data["Arn"],
            "CreateDate": when(data["CreateDate"]),
            "PermissionsBoundary": boundary(data.get("PermissionsBoundary")) if tags else None,
            "Tags": data.get("Tags") if tags else None,
        }
    )


def group(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "Path": data["Path"],
        "GroupName": data["GroupName"],
        "GroupId": data["GroupId"],
        "Arn": data["Arn"],
        "CreateDate": when(data["CreateDate"]),
    }


def role(data: dict[str, Any], *, view: str = "get") -> dict[str, Any]:
    """``view``: "create" (as CreateRole answers), "get" (GetRole) or "list" (ListRoles)."""
    out: dict[str, Any] = {
        "Path": data["Path"],
        "RoleName": data["RoleName"],
        "RoleId": data["RoleId"],
        "Arn": data["Arn"],
        "CreateDate": when(data["CreateDate"]),
        "AssumeRolePolicyDocument": document(data["AssumeRolePolicyDocument"]),
        "Description": data.get("Description"),
    }
    if view != "create":
        out["MaxSessionDuration"] = data.get("MaxSessionDuration", 3600)
    if view != "list":
        out["PermissionsBoundary"] = boundary(data.get("PermissionsBoundary"))
        out["Tags"] = data.get("Tags")
    if view == "get":
        last = data.get("RoleLastUsed") or {}
        out["RoleLastUsed"] = {
            **({"LastUsedDate": when(last["LastUsedDate"])} if last.get("LastUsedDate") else {}),
            **({"Region": last["Region"]} if last.get("Region") else {}),
        }
    return _drop_none(out)


def policy(
    data: dict[str, Any], attachments: int, boundaries: int, *, tags: bool = True, description: bool = False
) -> dict[str, Any]:
    return _drop_none(
        {
            "PolicyName": data["PolicyName"],
            "PolicyId": data["PolicyId"],
            "Arn": data["Arn"],
            "Path": data["Path"],
            "DefaultVersionId": data["DefaultVersionId"],
            "AttachmentCount": attachments,
            "PermissionsBoundaryUsageCount": boundaries,
            "IsAttachable": True,
            "Description": data.get("Description") if description else None,
            "CreateDate": when(data["CreateDate"]),
            "UpdateDate": when(data["UpdateDate"]),
            "Tags": data.get("Tags") if tags else None,
        }
    )


def managed_data(p: ManagedPolicy) -> dict[str, Any]:
    """An AWS managed policy in the form customer policies are stored."""
    return {
        "PolicyName": p.name,
        "PolicyId": p.policy_id,
        "Arn": p.arn,
        "Path": p.path,
        "DefaultVersionId": p.version,
        "Description": p.description or None,
        "CreateDate": AWS_CREATED,
        "UpdateDate": AWS_CREATED,
        "aws": True,
    }


def instance_profile(data: dict[str, Any], roles: list[dict[str, Any]]) -> dict[str, Any]:
    return _drop_none(
        {
            "Path": data["Path"],
            "InstanceProfileName": data["InstanceProfileName"],
            "InstanceProfileId": data["InstanceProfileId"],
            "Arn": data["Arn"],
            "CreateDate": when(data["CreateDate"]),
            "Roles": [role(r, view="list") for r in roles] or [],
            "Tags": data.get("Tags"),
        }
    ) | {"Roles": [role(r, view="list") for r in roles]}
