"""AWS IAM: users, groups, roles, managed and inline policies, instance profiles, access
keys, service-linked roles, OIDC providers, tags, and the policy simulator.

IAM is global: state is per account, never per region, and ARNs carry no region
(``arn:aws:iam::123456789012:role/path/name``). Access keys IAM creates are registered
with core.credentials, so a request signed with one acts as that user in that account;
deleted or inactive ones are revoked there, so the gateway refuses them.
"""

from __future__ import annotations

from typing import Any

from cloudlet.core import ids
from cloudlet.core.arn import parse_arn
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.iam import shapes
from cloudlet.services.iam.errors import (
    already_exists,
    check_document,
    check_tags,
    delete_conflict,
    invalid_input,
    limit_exceeded,
    merge_tags,
    no_such_entity,
    validation,
)
from cloudlet.services.iam.managed import MANAGED, managed
from cloudlet.services.iam.paging import page
from cloudlet.services.iam.service_roles import SERVICE_ROLES
from cloudlet.services.iam.simulate import SimulationMixin
from cloudlet.services.iam.store import IamStore

MANAGED_POLICY_SIZE = 6144
USER_INLINE_SIZE = 2048
GROUP_INLINE_SIZE = 5120
ROLE_INLINE_SIZE = 10240
TRUST_POLICY_SIZE = 2048
MAX_POLICY_VERSIONS = 5
MAX_ACCESS_KEYS = 2
MAX_ATTACHED = 10  # managed policies per user, group or role (default quota)

_TRUST_SIZE_MESSAGE = "Cannot exceed quota for ACLSizePerRole: 2048"


class IamProvider(SimulationMixin, Provider):
    service = "iam"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.iam = IamStore(self.store)

    # -- the directory other services read (interface.py) --
    def entity(self, account: str, kind: str, name: str) -> dict[str, Any] | None:
        return self.iam.get(account, kind, name)

    def role_used(self, account: str, name: str, region: str, when: float) -> None:
        role = self.iam.get(account, "role", name)
        if role is not None:
            role["RoleLastUsed"] = {"LastUsedDate": when, "Region": region}
            with self.store.transaction():
                self.iam.put(account, "role", name, role)

    # -- helpers --
    def _now(self) -> float:
        return self.clock.now()

    @staticmethod
    def _arn(ctx: RequestContext, kind: str, path: str, name: str) -> str:
        return f"arn:{ctx.partition}:iam::{ctx.account}:{kind}{path}{name}"

    def _user(self, ctx: RequestContext, name: str) -> dict[str, Any]:
        data = self.iam.get(ctx.account, "user", name)
        if data is None:
            raise no_such_entity(f"The user with name {name} cannot be found.")
        return data

    def _group(self, ctx: RequestContext, name: str) -> dict[str, Any]:
        data = self.iam.get(ctx.account, "group", name)
        if data is None:
            raise no_such_entity(f"The group with name {name} cannot be found.")
        return data

    def _role(self, ctx: RequestContext, name: str) -> dict[str, Any]:
        data = self.iam.get(ctx.account, "role", name)
        if data is None:
            raise no_such_entity(f"The role with name {name} cannot be found.")
        return data

    def _profile(self, ctx: RequestContext, name: str) -> dict[str, Any]:
        data = self.iam.get(ctx.account, "instance_profile", name)
        if data is None:
            raise no_such_entity(f"Instance Profile {name} cannot be found.")
        return data

    def _policy(self, ctx: RequestContext, arn: str, *, attach: bool = False) -> dict[str, Any]:
        """A managed policy (customer or AWS) by ARN, or IAM's error."""
        try:
            parsed = parse_arn(arn)
        except ValueError:
            raise validation("Invalid ARN:  Could not be parsed!") from None
        if parsed.service != "iam" or not parsed.resource.startswith("policy/"):
            raise validation("Invalid ARN:  Could not be parsed!")  # unverified: message
        missing = (
            f"Policy {arn} does not exist or is not attachable." if attach else f"Policy {arn} was not found."
        )
        if parsed.account == "aws":
            known = managed(arn)
            if known is None:
                raise no_such_entity(missing)
            return shapes.managed_data(known)
        data = self.iam.get(parsed.account, "policy", parsed.resource.rsplit("/", 1)[-1])
        if data is None or data["Arn"] != arn or parsed.account != ctx.account:
            raise no_such_entity(missing)
        return data

    def _policy_out(self, ctx: RequestContext, data: dict[str, Any], **kw: Any) -> dict[str, Any]:
        counts = self.iam.attachment_counts(ctx.account)
        return shapes.policy(data, counts.get(data["Arn"], 0), self._boundary_uses(ctx, data["Arn"]), **kw)

    def _boundary_uses(self, ctx: RequestContext, arn: str) -> int:
        return sum(
            1
            for kind in ("user", "role")
            for e in self.iam.all(ctx.account, kind)
            if e.get("PermissionsBoundary") == arn
        )

    def _default_document(self, ctx: RequestContext, data: dict[str, Any]) -> str:
        if data.get("aws"):
            return MANAGED[data["Arn"].replace(data["Arn"].split(":")[1], "aws", 1)].document
        versions = self.iam.versions(ctx.account, data["PolicyName"])
        return next(doc for vid, doc, _ in versions if vid == data["DefaultVersionId"])

    def _caller_user(self, ctx: RequestContext) -> dict[str, Any] | None:
        """The IAM user the request is signed as (None: root or anything else)."""
        principal = self.runtime.credentials.lookup(ctx.access_key) if ctx.access_key else None
        if principal is None or ":user/" not in principal.arn:
            return None
        return self.iam.get(principal.account, "user", principal.arn.rsplit("/", 1)[-1])

    def _tag_target(self, ctx: RequestContext, kind: str, name: str) -> dict[str, Any]:
        getter = {"user": self._user, "role": self._role, "instance_profile": self._profile}
        return getter[kind](ctx, name)

    # -- users --
    def create_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, path = params["UserName"], params.get("Path") or "/"
        check_tags(params.get("Tags"))
        if params.get("PermissionsBoundary"):
            self._policy(ctx, params["PermissionsBoundary"], attach=True)
        with self.store.transaction():
            if self.iam.get(ctx.account, "user", name) is not None:
                raise already_exists(f"User with name {name} already exists.")
            data = {
                "UserName": name,
                "Path": path,
                "UserId": "AIDA" + ids.random_upper(17),
                "Arn": self._arn(ctx, "user", path, name),
                "CreateDate": self._now(),
                "Tags": params.get("Tags") or [],
                "PermissionsBoundary": params.get("PermissionsBoundary"),
            }
            self.iam.put(ctx.account, "user", name, data)
        return {"User": shapes.user(data)}

    def get_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("UserName")
        if name:
            return {"User": shapes.user(self._user(ctx, name))}
        caller = self._caller_user(ctx)
        if caller is not None:
            return {"User": shapes.user(caller)}
        # The root user: no name, no path (unverified: the CreateDate AWS gives root).
        return {
            "User": {
                "UserId": ctx.account,
                "Arn": f"arn:{ctx.partition}:iam::{ctx.account}:root",
                "CreateDate": shapes.when(0),
            }
        }

    def list_users(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("PathPrefix") or "/"
        users = [u for u in self.iam.all(ctx.account, "user") if u["Path"].startswith(prefix)]
        items, more = page(users, params)
        return {"Users": [shapes.user(u, tags=False) for u in items], **more}

    def update_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["UserName"]
        new_name = params.get("NewUserName") or name
        with self.store.transaction():
            data = self._user(ctx, name)
            if new_name.lower() != name.lower() and self.iam.get(ctx.account, "user", new_name):
                raise already_exists(f"User with name {new_name} already exists.")
            data["UserName"] = new_name
            data["Path"] = params.get("NewPath") or data["Path"]
            data["Arn"] = self._arn(ctx, "user", data["Path"], new_name)
            if new_name.lower() != name.lower():
                self._rekey(ctx, "user", name, new_name)
            self.iam.put(ctx.account, "user", new_name, data)
        return {}

    def _rekey(self, ctx: RequestContext, kind: str, old: str, new: str) -> None:
        """Move an entity's relations to its new name (UpdateUser / UpdateGroup)."""
        a, o, n = ctx.account, old.lower(), new.lower()
        self.iam.delete(a, kind, old)
        for table in ("iam_inline_policies", "iam_attachments"):
            self.store.execute(
                f"UPDATE {table} SET owner_key = ? WHERE account = ? AND owner_kind = ? AND owner_key = ?",
                (n, a, kind, o),
            )
        column = "user_key" if kind == "user" else "group_key"
        self.store.execute(
            f"UPDATE iam_group_members SET {column} = ? WHERE account = ? AND {column} = ?", (n, a, o)
        )
        if kind == "user":
            self.store.execute(
                "UPDATE iam_access_keys SET user_key = ? WHERE account = ? AND user_key = ?", (n, a, o)
            )

    def delete_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["UserName"]
        with self.store.transaction():
            self._user(ctx, name)
            if self.iam.access_keys(ctx.account, name):
                raise delete_conflict("Cannot delete entity, must delete access keys first.")
            if self.iam.inline(ctx.account, "user", name):
                raise delete_conflict("Cannot delete entity, must delete policies first.")
            if self.iam.attached(ctx.account, "user", name):
                raise delete_conflict("Cannot delete entity, must detach all policies first.")
            if self.iam.groups_of(ctx.account, name):
                raise delete_conflict("Cannot delete entity, must remove user from all groups first.")
            self.iam.delete(ctx.account, "user", name)
        return {}

    # -- groups --
    def create_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, path = params["GroupName"], params.get("Path") or "/"
        with self.store.transaction():
            if self.iam.get(ctx.account, "group", name) is not None:
                raise already_exists(f"Group with name {name} already exists.")
            data = {
                "GroupName": name,
                "Path": path,
                "GroupId": "AGPA" + ids.random_upper(17),
                "Arn": self._arn(ctx, "group", path, name),
                "CreateDate": self._now(),
            }
            self.iam.put(ctx.account, "group", name, data)
        return {"Group": shapes.group(data)}

    def get_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(ctx, params["GroupName"])
        members = [
            self.iam.get(ctx.account, "user", k) for k in self.iam.members(ctx.account, group["GroupName"])
        ]
        items, more = page([m for m in members if m], params)
        return {"Group": shapes.group(group), "Users": [shapes.user(u, tags=False) for u in items], **more}

    def list_groups(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("PathPrefix") or "/"
        groups = [g for g in self.iam.all(ctx.account, "group") if g["Path"].startswith(prefix)]
        items, more = page(groups, params)
        return {"Groups": [shapes.group(g) for g in items], **more}

    def list_groups_for_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        user = self._user(ctx, params["UserName"])
        groups = [
            self.iam.get(ctx.account, "group", k) for k in self.iam.groups_of(ctx.account, user["UserName"])
        ]
        items, more = page([g for g in groups if g], params)
        return {"Groups": [shapes.group(g) for g in items], **more}

    def update_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["GroupName"]
        new_name = params.get("NewGroupName") or name
        with self.store.transaction():
            data = self._group(ctx, name)
            if new_name.lower() != name.lower() and self.iam.get(ctx.account, "group", new_name):
                raise already_exists(f"Group with name {new_name} already exists.")
            data["GroupName"] = new_name
            data["Path"] = params.get("NewPath") or data["Path"]
            data["Arn"] = self._arn(ctx, "group", data["Path"], new_name)
            if new_name.lower() != name.lower():
                self._rekey(ctx, "group", name, new_name)
            self.iam.put(ctx.account, "group", new_name, data)
        return {}

    def delete_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["GroupName"]
        with self.store.transaction():
            self._group(ctx, name)
            if self.iam.members(ctx.account, name):
                raise delete_conflict("Cannot delete entity, must remove users from group first.")
            if self.iam.inline(ctx.account, "group", name):
                raise delete_conflict("Cannot delete entity, must delete policies first.")
            if self.iam.attached(ctx.account, "group", name):
                raise delete_conflict("Cannot delete entity, must detach all policies first.")
            self.iam.delete(ctx.account, "group", name)
        return {}

    def add_user_to_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            group = self._group(ctx, params["GroupName"])
            user = self._user(ctx, params["UserName"])
            self.iam.add_member(ctx.account, group["GroupName"], user["UserName"], self._now())
        return {}

    def remove_user_from_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            group = self._group(ctx, params["GroupName"])
            user = self._user(ctx, params["UserName"])
            if not self.iam.remove_member(ctx.account, group["GroupName"], user["UserName"]):
                raise no_such_entity(
                    f"User {user['UserName']} does not exist in group {group['GroupName']}."  # unverified
                )
        return {}

    # -- roles --
    def create_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, path = params["RoleName"], params.get("Path") or "/"
        trust = params["AssumeRolePolicyDocument"]
        check_document(trust, "trust", TRUST_POLICY_SIZE, _TRUST_SIZE_MESSAGE)
        check_tags(params.get("Tags"))
        if params.get("PermissionsBoundary"):
            self._policy(ctx, params["PermissionsBoundary"], attach=True)
        with self.store.transaction():
            if self.iam.get(ctx.account, "role", name) is not None:
                raise already_exists(f"Role with name {name} already exists.")
            data = {
                "RoleName": name,
                "Path": path,
                "RoleId": "AROA" + ids.random_upper(17),
                "Arn": self._arn(ctx, "role", path, name),
                "CreateDate": self._now(),
                "AssumeRolePolicyDocument": trust,
                "Description": params.get("Description"),
                "MaxSessionDuration": params.get("MaxSessionDuration") or 3600,
                "PermissionsBoundary": params.get("PermissionsBoundary"),
                "Tags": params.get("Tags") or [],
                "RoleLastUsed": {},
            }
            self.iam.put(ctx.account, "role", name, data)
        return {"Role": shapes.role(data, view="create")}

    def get_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Role": shapes.role(self._role(ctx, params["RoleName"]))}

    def list_roles(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("PathPrefix") or "/"
        roles = [r for r in self.iam.all(ctx.account, "role") if r["Path"].startswith(prefix)]
        items, more = page(roles, params)
        return {"Roles": [shapes.role(r, view="list") for r in items], **more}

    def update_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            data = self._role(ctx, params["RoleName"])
            if "Description" in params:
                data["Description"] = params["Description"] or None
            if params.get("MaxSessionDuration"):
                data["MaxSessionDuration"] = params["MaxSessionDuration"]
            self.iam.put(ctx.account, "role", data["RoleName"], data)
        return {}

    def update_role_description(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            data = self._role(ctx, params["RoleName"])
            data["Description"] = params["Description"] or None
            self.iam.put(ctx.account, "role", data["RoleName"], data)
        return {"Role": shapes.role(data)}

    def update_assume_role_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        check_document(params["PolicyDocument"], "trust", TRUST_POLICY_SIZE, _TRUST_SIZE_MESSAGE)
        with self.store.transaction():
            data = self._role(ctx, params["RoleName"])
            data["AssumeRolePolicyDocument"] = params["PolicyDocument"]
            self.iam.put(ctx.account, "role", data["RoleName"], data)
        return {}

    def delete_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["RoleName"]
        with self.store.transaction():
            data = self._role(ctx, name)
            if data["Path"].startswith("/aws-service-role/"):
                raise ServiceError(
                    "UnmodifiableEntityException",
                    f"Cannot perform the operation on the protected role '{data['RoleName']}' - "
                    "this role is only modifiable by AWS",
                )
            self._delete_role(ctx, data)
        return {}

    def _delete_role(self, ctx: RequestContext, data: dict[str, Any]) -> None:
        name = data["RoleName"]
        if self.iam.profiles_of_role(ctx.account, name):
            raise delete_conflict("Cannot delete entity, must remove roles from instance profile first.")
        if self.iam.inline(ctx.account, "role", name):
            raise delete_conflict("Cannot delete entity, must delete policies first.")
        if self.iam.attached(ctx.account, "role", name) and not data["Path"].startswith("/aws-service-role/"):
            raise delete_conflict("Cannot delete entity, must detach all policies first.")
        for arn in self.iam.attached(ctx.account, "role", name):
            self.iam.detach(ctx.account, "role", name, arn)
        self.iam.delete(ctx.account, "role", name)

    def put_role_permissions_boundary(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_boundary(ctx, "role", params["RoleName"], params["PermissionsBoundary"])

    def delete_role_permissions_boundary(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_boundary(ctx, "role", params["RoleName"], None)

    def put_user_permissions_boundary(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_boundary(ctx, "user", params["UserName"], params["PermissionsBoundary"])

    def delete_user_permissions_boundary(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_boundary(ctx, "user", params["UserName"], None)

    def _set_boundary(self, ctx: RequestContext, kind: str, name: str, arn: str | None) -> dict[str, Any]:
        if arn:
            self._policy(ctx, arn, attach=True)
        with self.store.transaction():
            data = self._user(ctx, name) if kind == "user" else self._role(ctx, name)
            data["PermissionsBoundary"] = arn
            self.iam.put(ctx.account, kind, name, data)
        return {}

    # -- service-linked roles --
    def create_service_linked_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        service = params["AWSServiceName"]
        spec = SERVICE_ROLES.get(service)
        suffix = params.get("CustomSuffix")
        if spec is None:
            raise invalid_input(f"Invalid service name: {service}")  # unverified: message
        if suffix and not spec.suffix:
            raise invalid_input(f"Custom suffix is not allowed for {service}")
        name = f"{spec.role}_{suffix}" if suffix else spec.role
        path = f"/aws-service-role/{service}/"
        trust = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"'
            + service
            + '"},"Action":"sts:AssumeRole"}]}'
        )
        with self.store.transaction():
            if self.iam.get(ctx.account, "role", name) is not None:
                raise invalid_input(
                    f"Service role name {name} has been taken in this account, please try a different suffix."
                )
            data = {
                "RoleName": name,
                "Path": path,
                "RoleId": "AROA" + ids.random_upper(17),
                "Arn": self._arn(ctx, "role", path, name),
                "CreateDate": self._now(),
                "AssumeRolePolicyDocument": trust,
                "Description": params.get("Description") or spec.description or None,
                "MaxSessionDuration": 3600,
                "Tags": [],
                "RoleLastUsed": {},
            }
            self.iam.put(ctx.account, "role", name, data)
            policy_arn = f"arn:{ctx.partition}:iam::aws:policy/aws-service-role/{spec.policy}"
            self.iam.attach(ctx.account, "role", name, policy_arn, self._now())
        return {"Role": shapes.role(data)}

    def delete_service_linked_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            data = self._role(ctx, params["RoleName"])
            if not data["Path"].startswith("/aws-service-role/"):
                raise ServiceError(
                    "InvalidInputException", f"Role {data['RoleName']} is not a service-linked role."
                )  # unverified: message
            self._delete_role(ctx, data)
            task = f"task{data['Path']}{data['RoleName']}/{ids.uuid4()}"
            self.iam.put(ctx.account, "deletion_task", task, {"Status": "SUCCEEDED"})
        return {"DeletionTaskId": task}

    def get_service_linked_role_deletion_status(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        task = self.iam.get(ctx.account, "deletion_task", params["DeletionTaskId"])
        if task is None:
            raise no_such_entity(f"Deletion task {params['DeletionTaskId']} cannot be found.")  # unverified
        return {"Status": task["Status"]}

    # -- managed policies --
    def create_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, path = params["PolicyName"], params.get("Path") or "/"
        text = params["PolicyDocument"]
        check_document(text, "identity", MANAGED_POLICY_SIZE, "Cannot exceed quota for PolicySize: 6144")
        check_tags(params.get("Tags"))
        now = self._now()
        with self.store.transaction():
            if self.iam.get(ctx.account, "policy", name) is not None:
                raise already_exists(
                    f"A policy called {name} already exists. Duplicate names are not allowed."
                )
            data = {
                "PolicyName": name,
                "PolicyId": "ANPA" + ids.random_upper(17),
                "Arn": self._arn(ctx, "policy", path, name),
                "Path": path,
                "DefaultVersionId": "v1",
                "Description": params.get("Description"),
                "CreateDate": now,
                "UpdateDate": now,
                "Tags": params.get("Tags") or [],
                "NextVersion": 2,
            }
            self.iam.put(ctx.account, "policy", name, data)
            self.iam.put_version(ctx.account, name, "v1", text, now)
        return {"Policy": shapes.policy(data, 0, 0)}

    def get_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        data = self._policy(ctx, params["PolicyArn"])
        return {"Policy": self._policy_out(ctx, data, description=True)}

    def list_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        scope = params.get("Scope") or "All"
        prefix = params.get("PathPrefix") or "/"
        counts = self.iam.attachment_counts(ctx.account)
        found: list[dict[str, Any]] = []
        if scope in ("All", "AWS"):
            aws = [shapes.managed_data(p) for p in MANAGED.values()]
            found.extend(sorted(aws, key=lambda d: d["PolicyName"].lower()))
        if scope in ("All", "Local"):
            found.extend(self.iam.all(ctx.account, "policy"))
        found = [p for p in found if p["Path"].startswith(prefix)]
        if params.get("OnlyAttached"):
            found = [p for p in found if counts.get(p["Arn"], 0)]
        usage = params.get("PolicyUsageFilter")
        if usage == "PermissionsBoundary":
            found = [p for p in found if self._boundary_uses(ctx, p["Arn"])]
        elif usage == "PermissionsPolicy":
            found = [p for p in found if counts.get(p["Arn"], 0)]
        items, more = page(found, params)
        return {"Policies": [self._policy_out(ctx, p, tags=False) for p in items], **more}

    def delete_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["PolicyArn"]
        with self.store.transaction():
            data = self._policy(ctx, arn)
            if data.get("aws"):
                raise invalid_input(f"Cannot delete AWS managed policy {arn}.")  # unverified: message
            if self.iam.attachments_of(ctx.account, arn):
                raise delete_conflict("Cannot delete a policy attached to entities.")
            if len(self.iam.versions(ctx.account, data["PolicyName"])) > 1:
                raise delete_conflict(
                    "This policy has more than one version. Before you delete a policy, "
                    "you must delete the policy's versions. The default version is "
                    "deleted with the policy."
                )
            self.iam.delete_versions(ctx.account, data["PolicyName"])
            self.iam.delete(ctx.account, "policy", data["PolicyName"])
        return {}

    def create_policy_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        text = params["PolicyDocument"]
        check_document(text, "identity", MANAGED_POLICY_SIZE, "Cannot exceed quota for PolicySize: 6144")
        now = self._now()
        with self.store.transaction():
            data = self._customer_policy(ctx, params["PolicyArn"])
            name = data["PolicyName"]
            if len(self.iam.versions(ctx.account, name)) >= MAX_POLICY_VERSIONS:
                raise limit_exceeded(
                    f"A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new "
                    "version, you must delete an existing version."
                )
            version = f"v{data['NextVersion']}"
            data["NextVersion"] += 1
            self.iam.put_version(ctx.account, name, version, text, now)
            if params.get("SetAsDefault"):
                data["DefaultVersionId"] = version
            data["UpdateDate"] = now
            self.iam.put(ctx.account, "policy", name, data)
        return {
            "PolicyVersion": {
                "VersionId": version,
                "IsDefaultVersion": data["DefaultVersionId"] == version,
                "CreateDate": shapes.when(now),
            }
        }

    def _customer_policy(self, ctx: RequestContext, arn: str) -> dict[str, Any]:
        data = self._policy(ctx, arn)
        if data.get("aws"):
            raise invalid_input(f"Cannot modify AWS managed policy {arn}.")  # unverified: message
        return data

    def get_policy_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn, version = params["PolicyArn"], params["VersionId"]
        data = self._policy(ctx, arn)
        if data.get("aws"):
            if version != data["DefaultVersionId"]:
                raise no_such_entity(f"Policy {arn} version {version} does not exist or is not attachable.")
            doc, created = self._default_document(ctx, data), data["CreateDate"]
        else:
            found = [v for v in self.iam.versions(ctx.account, data["PolicyName"]) if v[0] == version]
            if not found:
                raise no_such_entity(f"Policy {arn} version {version} does not exist or is not attachable.")
            doc, created = found[0][1], found[0][2]
        return {
            "PolicyVersion": {
                "Document": shapes.document(doc),
                "VersionId": version,
                "IsDefaultVersion": version == data["DefaultVersionId"],
                "CreateDate": shapes.when(created),
            }
        }

    def list_policy_versions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        data = self._policy(ctx, params["PolicyArn"])
        if data.get("aws"):
            versions = [(data["DefaultVersionId"], "", data["CreateDate"])]
        else:
            versions = self.iam.versions(ctx.account, data["PolicyName"])
        items, more = page(versions, params)
        out = [
            {"VersionId": v, "IsDefaultVersion": v == data["DefaultVersionId"], "CreateDate": shapes.when(c)}
            for v, _, c in items
        ]
        return {"Versions": out, **more}

    def delete_policy_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn, version = params["PolicyArn"], params["VersionId"]
        with self.store.transaction():
            data = self._customer_policy(ctx, arn)
            if version == data["DefaultVersionId"]:
                raise delete_conflict("Cannot delete the default version of a policy.")
            if not self.iam.delete_versions(ctx.account, data["PolicyName"], version):
                raise no_such_entity(f"Policy {arn} version {version} does not exist or is not attachable.")
        return {}

    def set_default_policy_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn, version = params["PolicyArn"], params["VersionId"]
        with self.store.transaction():
            data = self._customer_policy(ctx, arn)
            if not any(v[0] == version for v in self.iam.versions(ctx.account, data["PolicyName"])):
                raise no_such_entity(f"Policy {arn} version {version} does not exist or is not attachable.")
            data["DefaultVersionId"] = version
            data["UpdateDate"] = self._now()
            self.iam.put(ctx.account, "policy", data["PolicyName"], data)
        return {}

    # -- attachments --
    def _attach(self, ctx: RequestContext, kind: str, name: str, arn: str) -> dict[str, Any]:
        with self.store.transaction():
            owner = {"user": self._user, "group": self._group, "role": self._role}[kind](ctx, name)
            self._policy(ctx, arn, attach=True)
            if arn.split(":")[5].startswith("policy/aws-service-role/"):
                raise invalid_input("Cannot attach a Service Role Policy to a Customer Role.")  # unverified
            attached = self.iam.attached(ctx.account, kind, name)
            if arn not in attached and len(attached) >= MAX_ATTACHED:
                noun = {"user": "PoliciesPerUser", "group": "PoliciesPerGroup", "role": "PoliciesPerRole"}[
                    kind
                ]
                raise limit_exceeded(f"Cannot exceed quota for {noun}: {MAX_ATTACHED}")
            self.iam.attach(ctx.account, kind, owner[f"{kind.capitalize()}Name"], arn, self._now())
        return {}

    def _detach(self, ctx: RequestContext, kind: str, name: str, arn: str) -> dict[str, Any]:
        with self.store.transaction():
            {"user": self._user, "group": self._group, "role": self._role}[kind](ctx, name)
            self._policy(ctx, arn)
            if not self.iam.detach(ctx.account, kind, name, arn):
                raise no_such_entity(f"Policy {arn} was not found.")
        return {}

    def _list_attached(
        self, ctx: RequestContext, kind: str, name: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        {"user": self._user, "group": self._group, "role": self._role}[kind](ctx, name)
        prefix = params.get("PathPrefix") or "/"
        arns = self.iam.attached(ctx.account, kind, name)
        found = [
            {"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a}
            for a in arns
            if ("/" + a.split(":", 5)[5].split("/", 1)[1]).startswith(prefix)
        ]
        items, more = page(found, params)
        return {"AttachedPolicies": items, **more}

    def attach_user_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._attach(ctx, "user", params["UserName"], params["PolicyArn"])

    def attach_group_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._attach(ctx, "group", params["GroupName"], params["PolicyArn"])

    def attach_role_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._attach(ctx, "role", params["RoleName"], params["PolicyArn"])

    def detach_user_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._detach(ctx, "user", params["UserName"], params["PolicyArn"])

    def detach_group_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._detach(ctx, "group", params["GroupName"], params["PolicyArn"])

    def detach_role_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._detach(ctx, "role", params["RoleName"], params["PolicyArn"])

    def list_attached_user_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_attached(ctx, "user", params["UserName"], params)

    def list_attached_group_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_attached(ctx, "group", params["GroupName"], params)

    def list_attached_role_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_attached(ctx, "role", params["RoleName"], params)

    def list_entities_for_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["PolicyArn"]
        self._policy(ctx, arn)
        wanted = params.get("EntityFilter")
        prefix = params.get("PathPrefix") or "/"
        usage = params.get("PolicyUsageFilter")
        entities: list[tuple[str, dict[str, Any]]] = []
        if usage != "PermissionsBoundary":
            for kind, key in self.iam.attachments_of(ctx.account, arn):
                data = self.iam.get(ctx.account, kind, key)
                if data is not None:
                    entities.append((kind, data))
        if usage != "PermissionsPolicy":
            for kind in ("user", "role"):
                entities.extend(
                    (kind, e) for e in self.iam.all(ctx.account, kind) if e.get("PermissionsBoundary") == arn
                )
        filters = {"User": "user", "Group": "group", "Role": "role"}
        entities = [
            (k, e)
            for k, e in entities
            if e["Path"].startswith(prefix) and (not wanted or filters.get(wanted) == k)
        ]
        items, more = page(entities, params)
        out: dict[str, list[dict[str, str]]] = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []}
        for kind, e in items:
            cap = kind.capitalize()
            out[f"Policy{cap}s"].append({f"{cap}Name": e[f"{cap}Name"], f"{cap}Id": e[f"{cap}Id"]})
        return {**out, **more}

    # -- inline policies --
    def _put_inline(
        self, ctx: RequestContext, kind: str, params: dict[str, Any], limit: int
    ) -> dict[str, Any]:
        cap = kind.capitalize()
        name = params[f"{cap}Name"]
        text = params["PolicyDocument"]
        check_document(
            text, "identity", limit, f"Maximum policy size of {limit} bytes exceeded for {kind} {name}"
        )
        with self.store.transaction():
            owner = {"user": self._user, "group": self._group, "role": self._role}[kind](ctx, name)
            self.iam.put_inline(ctx.account, kind, owner[f"{cap}Name"], params["PolicyName"], text)
        return {}

    def _get_inline(self, ctx: RequestContext, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        cap = kind.capitalize()
        owner = {"user": self._user, "group": self._group, "role": self._role}[kind](
            ctx, params[f"{cap}Name"]
        )
        policy = params["PolicyName"]
        doc = self.iam.inline(ctx.account, kind, owner[f"{cap}Name"]).get(policy)
        if doc is None:
            raise no_such_entity(f"The {kind} policy with name {policy} cannot be found.")
        return {
            f"{cap}Name": owner[f"{cap}Name"],
            "PolicyName": policy,
            "PolicyDocument": shapes.document(doc),
        }

    def _delete_inline(self, ctx: RequestContext, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        cap = kind.capitalize()
        with self.store.transaction():
            owner = {"user": self._user, "group": self._group, "role": self._role}[kind](
                ctx, params[f"{cap}Name"]
            )
            if not self.iam.delete_inline(ctx.account, kind, owner[f"{cap}Name"], params["PolicyName"]):
                raise no_such_entity(f"The {kind} policy with name {params['PolicyName']} cannot be found.")
        return {}

    def _list_inline(self, ctx: RequestContext, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        cap = kind.capitalize()
        owner = {"user": self._user, "group": self._group, "role": self._role}[kind](
            ctx, params[f"{cap}Name"]
        )
        names = list(self.iam.inline(ctx.account, kind, owner[f"{cap}Name"]))
        items, more = page(names, params)
        return {"PolicyNames": items, **more}

    def put_user_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._put_inline(ctx, "user", params, USER_INLINE_SIZE)

    def put_group_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._put_inline(ctx, "group", params, GROUP_INLINE_SIZE)

    def put_role_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._put_inline(ctx, "role", params, ROLE_INLINE_SIZE)

    def get_user_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_inline(ctx, "user", params)

    def get_group_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_inline(ctx, "group", params)

    def get_role_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_inline(ctx, "role", params)

    def delete_user_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_inline(ctx, "user", params)

    def delete_group_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_inline(ctx, "group", params)

    def delete_role_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_inline(ctx, "role", params)

    def list_user_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_inline(ctx, "user", params)

    def list_group_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_inline(ctx, "group", params)

    def list_role_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_inline(ctx, "role", params)

    # -- instance profiles --
    def create_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, path = params["InstanceProfileName"], params.get("Path") or "/"
        check_tags(params.get("Tags"))
        with self.store.transaction():
            if self.iam.get(ctx.account, "instance_profile", name) is not None:
                raise already_exists(f"Instance Profile {name} already exists.")
            data = {
                "InstanceProfileName": name,
                "Path": path,
                "InstanceProfileId": "AIPA" + ids.random_upper(17),
                "Arn": self._arn(ctx, "instance-profile", path, name),
                "CreateDate": self._now(),
                "Tags": params.get("Tags") or [],
            }
            self.iam.put(ctx.account, "instance_profile", name, data)
        return {"InstanceProfile": shapes.instance_profile(data, [])}

    def _profile_out(self, ctx: RequestContext, data: dict[str, Any]) -> dict[str, Any]:
        roles = [
            self.iam.get(ctx.account, "role", k)
            for k in self.iam.profile_roles(ctx.account, data["InstanceProfileName"])
        ]
        return shapes.instance_profile(data, [r for r in roles if r])

    def get_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"InstanceProfile": self._profile_out(ctx, self._profile(ctx, params["InstanceProfileName"]))}

    def list_instance_profiles(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("PathPrefix") or "/"
        found = [p for p in self.iam.all(ctx.account, "instance_profile") if p["Path"].startswith(prefix)]
        items, more = page(found, params)
        return {"InstanceProfiles": [self._profile_out(ctx, p) for p in items], **more}

    def list_instance_profiles_for_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        role = self._role(ctx, params["RoleName"])
        found = [
            self.iam.get(ctx.account, "instance_profile", k)
            for k in self.iam.profiles_of_role(ctx.account, role["RoleName"])
        ]
        items, more = page([p for p in found if p], params)
        return {"InstanceProfiles": [self._profile_out(ctx, p) for p in items], **more}

    def delete_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["InstanceProfileName"]
        with self.store.transaction():
            self._profile(ctx, name)
            if self.iam.profile_roles(ctx.account, name):
                raise delete_conflict("Cannot delete entity, must remove roles from instance profile first.")
            self.iam.delete(ctx.account, "instance_profile", name)
        return {}

    def add_role_to_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            profile = self._profile(ctx, params["InstanceProfileName"])
            role = self._role(ctx, params["RoleName"])
            if self.iam.profile_roles(ctx.account, profile["InstanceProfileName"]):
                raise limit_exceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
            self.iam.add_profile_role(ctx.account, profile["InstanceProfileName"], role["RoleName"])
        return {}

    def remove_role_from_instance_profile(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            profile = self._profile(ctx, params["InstanceProfileName"])
            role = self._role(ctx, params["RoleName"])
            if not self.iam.remove_profile_role(
                ctx.account, profile["InstanceProfileName"], role["RoleName"]
            ):
                raise no_such_entity(
                    f"Role {role['RoleName']} in Instance Profile {profile['InstanceProfileName']} cannot be found."
                )  # unverified: message
        return {}

    # -- access keys --
    def _key_owner(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any] | None:
        """The user named in ``params``, else the calling user; None: the root user."""
        if params.get("UserName"):
            return self._user(ctx, params["UserName"])
        return self._caller_user(ctx)

    def create_access_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        now = self._now()
        with self.store.transaction():
            user = self._key_owner(ctx, params)
            user_key = user["UserName"] if user else ""
            if len(self.iam.access_keys(ctx.account, user_key)) >= MAX_ACCESS_KEYS:
                raise limit_exceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}")
            key, secret = ids.access_key_id("AKIA"), ids.secret_key()
            self.iam.put_access_key(key, ctx.account, user_key, secret, now)
            arn = user["Arn"] if user else f"arn:{ctx.partition}:iam::{ctx.account}:root"
            user_id = user["UserId"] if user else ctx.account
            self.runtime.credentials.register_long_term(key, secret, ctx.account, arn, user_id)
        out = {
            "AccessKeyId": key,
            "Status": "Active",
            "SecretAccessKey": secret,
            "CreateDate": shapes.when(now),
        }
        return {"AccessKey": {"UserName": user_key, **out} if user else {"UserName": "", **out}}

    def list_access_keys(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        user = self._key_owner(ctx, params)
        user_key = user["UserName"] if user else ""
        keys = self.iam.access_keys(ctx.account, user_key)
        items, more = page(keys, params)
        out = [
            {
                **({"UserName": user["UserName"]} if user else {}),
                "AccessKeyId": k["AccessKeyId"],
                "Status": k["Status"],
                "CreateDate": shapes.when(k["created"]),
            }
            for k in items
        ]
        return {"AccessKeyMetadata": out, **more}

    def _own_key(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        user = self._key_owner(ctx, params)
        key_id = params["AccessKeyId"]
        key = self.iam.access_key(key_id)
        if (
            key is None
            or key["account"] != ctx.account
            or key["user_key"] != (user["UserName"].lower() if user else "")
        ):
            raise no_such_entity(f"The Access Key with id {key_id} cannot be found.")
        return key, user

    def update_access_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            key, user = self._own_key(ctx, params)
            key_id, status = params["AccessKeyId"], params["Status"]
            self.iam.set_access_key_status(key_id, status)
            creds = self.runtime.credentials
            if status == "Inactive":
                creds.revoke(key_id)
            elif key["status"] != "Active":
                arn = user["Arn"] if user else f"arn:{ctx.partition}:iam::{ctx.account}:root"
                creds.register_long_term(
                    key_id, key["secret"], ctx.account, arn, user["UserId"] if user else ctx.account
                )
        return {}

    def delete_access_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            self._own_key(ctx, params)
            self.iam.delete_access_key(params["AccessKeyId"])
            self.runtime.credentials.revoke(params["AccessKeyId"])
        return {}

    def get_access_key_last_used(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key_id = params["AccessKeyId"]
        key = self.iam.access_key(key_id)
        if key is None:
            # unverified: AWS answers AccessDenied for keys of other accounts.
            raise no_such_entity(f"The Access Key with id {key_id} cannot be found.")
        user = self.iam.get(key["account"], "user", key["user_key"]) if key["user_key"] else None
        last: dict[str, Any] = {"ServiceName": "N/A", "Region": "N/A"}
        used = self.runtime.credentials.last_use(key_id)
        if used is not None and used[0] > (key["last_used"] or 0):
            key = {
                **key,
                "last_used": used[0],
                "last_service": used[1] or "N/A",
                "last_region": used[2] or "N/A",
            }
        if key["last_used"]:
            last = {
                "LastUsedDate": shapes.when(key["last_used"]),
                "ServiceName": key["last_service"],
                "Region": key["last_region"],
            }
        return {**({"UserName": user["UserName"]} if user else {}), "AccessKeyLastUsed": last}

    # -- OIDC providers --
    def _oidc_key(self, arn: str) -> str:
        return arn.split(":oidc-provider/", 1)[-1]

    def _oidc(self, ctx: RequestContext, arn: str) -> dict[str, Any]:
        if ":oidc-provider/" not in arn:
            raise validation(f"Invalid ARN: {arn}")  # unverified: message
        data = self.iam.get(ctx.account, "oidc", self._oidc_key(arn))
        if data is None:
            raise no_such_entity(f"OpenIDConnect Provider not found for arn {arn}")
        return data

    def create_open_id_connect_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        url = params["Url"]
        if not url.startswith("https://") or len(url) <= len("https://"):
            raise validation("Invalid IdentityProvider Url. Url must begin with https://")  # unverified
        check_tags(params.get("Tags"))
        host = url.removeprefix("https://").rstrip("/")
        arn = self._arn(ctx, "oidc-provider/", "", host)
        with self.store.transaction():
            if self.iam.get(ctx.account, "oidc", host) is not None:
                raise already_exists(f"Provider with url {url} already exists.")
            data = {
                "Url": host,
                "Arn": arn,
                "ClientIDList": list(dict.fromkeys(params.get("ClientIDList") or [])),
                "ThumbprintList": params.get("ThumbprintList") or [],
                "CreateDate": self._now(),
                "Tags": params.get("Tags") or [],
            }
            self.iam.put(ctx.account, "oidc", host, data)
        return {"OpenIDConnectProviderArn": arn, **({"Tags": data["Tags"]} if data["Tags"] else {})}

    def get_open_id_connect_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        data = self._oidc(ctx, params["OpenIDConnectProviderArn"])
        out = {
            "Url": data["Url"],
            "ClientIDList": data["ClientIDList"],
            "ThumbprintList": data["ThumbprintList"],
            "CreateDate": shapes.when(data["CreateDate"]),
        }
        return out | ({"Tags": data["Tags"]} if data["Tags"] else {})

    def list_open_id_connect_providers(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"OpenIDConnectProviderList": [{"Arn": p["Arn"]} for p in self.iam.all(ctx.account, "oidc")]}

    def delete_open_id_connect_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            data = self._oidc(ctx, params["OpenIDConnectProviderArn"])
            self.iam.delete(ctx.account, "oidc", data["Url"])
        return {}

    def _update_oidc(self, ctx: RequestContext, arn: str, change: Any) -> dict[str, Any]:
        with self.store.transaction():
            data = self._oidc(ctx, arn)
            change(data)
            self.iam.put(ctx.account, "oidc", data["Url"], data)
        return {}

    def add_client_id_to_open_id_connect_provider(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        client = params["ClientID"]

        def add(data: dict[str, Any]) -> None:
            if client not in data["ClientIDList"]:
                data["ClientIDList"].append(client)

        return self._update_oidc(ctx, params["OpenIDConnectProviderArn"], add)

    def remove_client_id_from_open_id_connect_provider(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        client = params["ClientID"]

        def remove(data: dict[str, Any]) -> None:
            data["ClientIDList"] = [c for c in data["ClientIDList"] if c != client]

        return self._update_oidc(ctx, params["OpenIDConnectProviderArn"], remove)

    def update_open_id_connect_provider_thumbprint(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        prints = params["ThumbprintList"]
        return self._update_oidc(
            ctx, params["OpenIDConnectProviderArn"], lambda d: d.update(ThumbprintList=prints)
        )

    # -- tags --
    def _tag(self, ctx: RequestContext, kind: str, name: str, tags: list[dict[str, str]]) -> dict[str, Any]:
        with self.store.transaction():
            data = self._tag_entity(ctx, kind, name)
            data["Tags"] = merge_tags(data.get("Tags") or [], tags)
            self.iam.put(ctx.account, kind, self._entity_key(kind, data), data)
        return {}

    def _untag(self, ctx: RequestContext, kind: str, name: str, keys: list[str]) -> dict[str, Any]:
        drop = {k.lower() for k in keys}
        with self.store.transaction():
            data = self._tag_entity(ctx, kind, name)
            data["Tags"] = [t for t in data.get("Tags") or [] if t["Key"].lower() not in drop]
            self.iam.put(ctx.account, kind, self._entity_key(kind, data), data)
        return {}

    def _list_tags(self, ctx: RequestContext, kind: str, name: str, params: dict[str, Any]) -> dict[str, Any]:
        data = self._tag_entity(ctx, kind, name)
        items, more = page(data.get("Tags") or [], params)
        return {"Tags": items, **more}

    def _tag_entity(self, ctx: RequestContext, kind: str, name: str) -> dict[str, Any]:
        if kind == "policy":
            data = self._policy(ctx, name)
            if data.get("aws"):
                raise invalid_input(f"Cannot tag AWS managed policy {name}.")  # unverified: message
            return data
        if kind == "oidc":
            return self._oidc(ctx, name)
        return self._tag_target(ctx, kind, name)

    @staticmethod
    def _entity_key(kind: str, data: dict[str, Any]) -> str:
        field = {
            "user": "UserName",
            "role": "RoleName",
            "policy": "PolicyName",
            "instance_profile": "InstanceProfileName",
            "oidc": "Url",
        }
        return data[field[kind]]

    def tag_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._tag(ctx, "user", params["UserName"], params["Tags"])

    def untag_user(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._untag(ctx, "user", params["UserName"], params["TagKeys"])

    def list_user_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_tags(ctx, "user", params["UserName"], params)

    def tag_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._tag(ctx, "role", params["RoleName"], params["Tags"])

    def untag_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._untag(ctx, "role", params["RoleName"], params["TagKeys"])

    def list_role_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_tags(ctx, "role", params["RoleName"], params)

    def tag_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._tag(ctx, "policy", params["PolicyArn"], params["Tags"])

    def untag_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._untag(ctx, "policy", params["PolicyArn"], params["TagKeys"])

    def list_policy_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_tags(ctx, "policy", params["PolicyArn"], params)

    def tag_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._tag(ctx, "instance_profile", params["InstanceProfileName"], params["Tags"])

    def untag_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._untag(ctx, "instance_profile", params["InstanceProfileName"], params["TagKeys"])

    def list_instance_profile_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_tags(ctx, "instance_profile", params["InstanceProfileName"], params)

    def tag_open_id_connect_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._tag(ctx, "oidc", params["OpenIDConnectProviderArn"], params["Tags"])

    def untag_open_id_connect_provider(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._untag(ctx, "oidc", params["OpenIDConnectProviderArn"], params["TagKeys"])

    def list_open_id_connect_provider_tags(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._list_tags(ctx, "oidc", params["OpenIDConnectProviderArn"], params)

    # -- account --
    def get_account_authorization_details(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        wanted = set(
            params.get("Filter") or ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
        )
        a = ctx.account
        entries: list[tuple[str, dict[str, Any]]] = []
        if "User" in wanted:
            entries += [("UserDetailList", self._user_detail(ctx, u)) for u in self.iam.all(a, "user")]
        if "Group" in wanted:
            entries += [("GroupDetailList", self._group_detail(ctx, g)) for g in self.iam.all(a, "group")]
        if "Role" in wanted:
            entries += [("RoleDetailList", self._role_detail(ctx, r)) for r in self.iam.all(a, "role")]
        counts = self.iam.attachment_counts(a)
        policies: list[dict[str, Any]] = []
        if "LocalManagedPolicy" in wanted:
            policies += self.iam.all(a, "policy")
        if "AWSManagedPolicy" in wanted:
            # AWS lists the AWS managed policies attached in the account.
            policies += [shapes.managed_data(p) for p in MANAGED.values() if counts.get(p.arn)]
        entries += [("Policies", self._policy_detail(ctx, p, counts)) for p in policies]
        items, more = page(entries, params)
        out: dict[str, Any] = {
            "UserDetailList": [],
            "GroupDetailList": [],
            "RoleDetailList": [],
            "Policies": [],
        }
        for key, value in items:
            out[key].append(value)
        return {**out, **more}

    def _attached_out(self, ctx: RequestContext, kind: str, name: str) -> list[dict[str, str]]:
        return [
            {"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a}
            for a in self.iam.attached(ctx.account, kind, name)
        ]

    def _inline_out(self, ctx: RequestContext, kind: str, name: str) -> list[dict[str, str]]:
        return [
            {"PolicyName": n, "PolicyDocument": shapes.document(d)}
            for n, d in self.iam.inline(ctx.account, kind, name).items()
        ]

    def _user_detail(self, ctx: RequestContext, u: dict[str, Any]) -> dict[str, Any]:
        name = u["UserName"]
        groups = [self.iam.get(ctx.account, "group", g) for g in self.iam.groups_of(ctx.account, name)]
        return shapes.user(u) | {
            "UserPolicyList": self._inline_out(ctx, "user", name),
            "GroupList": [g["GroupName"] for g in groups if g],
            "AttachedManagedPolicies": self._attached_out(ctx, "user", name),
        }

    def _group_detail(self, ctx: RequestContext, g: dict[str, Any]) -> dict[str, Any]:
        name = g["GroupName"]
        return shapes.group(g) | {
            "GroupPolicyList": self._inline_out(ctx, "group", name),
            "AttachedManagedPolicies": self._attached_out(ctx, "group", name),
        }

    def _role_detail(self, ctx: RequestContext, r: dict[str, Any]) -> dict[str, Any]:
        name = r["RoleName"]
        profiles = [
            self.iam.get(ctx.account, "instance_profile", p)
            for p in self.iam.profiles_of_role(ctx.account, name)
        ]
        return shapes.role(r) | {
            "InstanceProfileList": [self._profile_out(ctx, p) for p in profiles if p],
            "RolePolicyList": self._inline_out(ctx, "role", name),
            "AttachedManagedPolicies": self._attached_out(ctx, "role", name),
        }

    def _policy_detail(
        self, ctx: RequestContext, p: dict[str, Any], counts: dict[str, int]
    ) -> dict[str, Any]:
        out = shapes.policy(
            p, counts.get(p["Arn"], 0), self._boundary_uses(ctx, p["Arn"]), tags=False, description=True
        )
        if p.get("aws"):
            versions = [(p["DefaultVersionId"], self._default_document(ctx, p), p["CreateDate"])]
        else:
            versions = self.iam.versions(ctx.account, p["PolicyName"])
        out["PolicyVersionList"] = [
            {
                "Document": shapes.document(doc),
                "VersionId": vid,
                "IsDefaultVersion": vid == p["DefaultVersionId"],
                "CreateDate": shapes.when(created),
            }
            for vid, doc, created in versions
        ]
        return out

    def resource_counts(self) -> dict[str, int]:
        counts = {f"{kind}s": self.iam.count(kind) for kind in ("user", "group", "role", "policy")}
        return {k: v for k, v in counts.items() if v}
