"""Access control lists of buckets and objects, stored and returned as S3 does (not enforced).

An ACL is a list of grants, each a grantee (a canonical user by ``ID``, or a group by ``URI``)
and a permission. The owner of a bucket, and of the objects in it, is the bucket's account
(the Owner ListBuckets and ListParts answer). A bucket's ACL lives in ``bucket.config["Acl"]``,
an object version's in ``row.meta["Acl"]``; neither is kept when it is the private default (the
owner with FULL_CONTROL), so buckets and objects written before ACLs existed here read as private.

Where an ACL comes from (the S3 API reference of PutBucketAcl / PutObjectAcl / PutObject /
CreateBucket): a canned ACL (``x-amz-acl``), grant headers (``x-amz-grant-*``: ``id="…"``,
``uri="…"``, ``emailAddress="…"`` lists), or, for PutBucketAcl / PutObjectAcl, an
AccessControlPolicy body. Answers recorded from S3 (``test_s3.snapshot.json``):
``test_s3_bucket_acl``, ``test_s3_object_acl``, ``test_s3_multipart_upload_acls``: the canned
ACLs' grants, grant headers replacing the whole ACL (no implicit owner grant);
``test_s3_bucket_acl_exceptions``, ``test_s3_object_acl_exceptions``: the errors, checked before
the bucket's ownership setting; ``test_put_object_acl_on_delete_marker``: delete markers;
``test_object_put_acl`` (notifications): ``s3:ObjectAcl:Put`` only when the ACL changes.

Object Ownership (user guide, "Controlling ownership of objects and disabling ACLs" and its
troubleshooting page): with ``BucketOwnerEnforced`` (what CreateBucket stores unless asked
otherwise) ACLs are disabled. Reads answer the owner's FULL_CONTROL; writes that carry an ACL
are refused with ``AccessControlListNotSupported`` unless the ACL gives only the bucket owner
full control: the ``bucket-owner-full-control`` canned ACL, or such grants (the guide names the
XML form). ``private`` is refused there (PutBucketAcl with ``acl = "private"`` failing so is
reported in hashicorp/terraform-provider-aws#34079). CreateBucket with that setting takes an
ACL giving only the owner full control (``private``) and refuses others with
``InvalidBucketAclWithObjectOwnership``, as PutBucketOwnershipControls does when the bucket's ACL
grants anyone else. A bucket without ownership controls has ACLs enabled.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.s3.errors import invalid_argument
from cloudlet.services.s3.notifications import MALFORMED_XML
from cloudlet.services.s3.wire import canonical_user_id, owner_of

if TYPE_CHECKING:
    from cloudlet.services.s3.provider import S3Provider
    from cloudlet.services.s3.store import Bucket

Grant = dict[str, Any]

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
GROUPS = (ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY)
# The canonical user of Amazon EC2 that reads machine image bundles, which ``aws-exec-read``
# grants READ.
EC2_BUNDLE_READER = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"

PERMISSIONS = ("FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP")
CANNED_ACLS = (
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
)
# (parameter, header, permission) of the grant headers, in the order their grants are listed
# (S3's order across several headers is not recorded)
GRANT_HEADERS = (
    ("GrantFullControl", "x-amz-grant-full-control", "FULL_CONTROL"),
    ("GrantRead", "x-amz-grant-read", "READ"),
    ("GrantWrite", "x-amz-grant-write", "WRITE"),
    ("GrantReadACP", "x-amz-grant-read-acp", "READ_ACP"),
    ("GrantWriteACP", "x-amz-grant-write-acp", "WRITE_ACP"),
)
ENFORCED = "BucketOwnerEnforced"
# what names the grantee of each type in an AccessControlPolicy
_GRANTEE_KEYS = {"CanonicalUser": "ID", "Group": "URI", "AmazonCustomerByEmail": "EmailAddress"}

_CANONICAL_ID = re.compile(r"[0-9a-fA-F]{64}\Z")
# One grantee of a grant header: key=value or key="value", then a comma or the end.
_HEADER_GRANTEE = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^",]*?))\s*(?:,|\Z)')


def user_grant(user_id: str, permission: str) -> Grant:
    return {"Grantee": {"Type": "CanonicalUser", "ID": user_id}, "Permission": permission}


def group_grant(uri: str, permission: str) -> Grant:
    return {"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission}


def private_grants(owner_id: str) -> list[Grant]:
    return [user_grant(owner_id, "FULL_CONTROL")]


def canned_grants(name: str, owner_id: str) -> list[Grant]:
    """The grants a canned ACL stands for (user guide, "Canned ACL"), in the order S3 lists
    them (recorded: ``public-read``, ``public-read-write``).

    ``bucket-owner-read`` and ``bucket-owner-full-control`` add the bucket owner to the object
    owner; both are the bucket's account here, so they are the owner's FULL_CONTROL alone
    (unverified for one account: S3 has not been recorded answering it). For a bucket S3
    ignores them, which comes to the same private ACL.
    """
    grants = private_grants(owner_id)
    if name in ("public-read", "public-read-write"):
        grants.append(group_grant(ALL_USERS, "READ"))
    if name == "public-read-write":
        grants.append(group_grant(ALL_USERS, "WRITE"))
    elif name == "authenticated-read":
        grants.append(group_grant(AUTHENTICATED_USERS, "READ"))
    elif name == "aws-exec-read":
        grants.append(user_grant(EC2_BUNDLE_READER, "READ"))
    elif name == "log-delivery-write":
        grants += [group_grant(LOG_DELIVERY, "WRITE"), group_grant(LOG_DELIVERY, "READ_ACP")]
    return grants


def owner_only(grants: list[Grant], owner_id: str) -> bool:
    """Whether an ACL gives full control to the bucket owner and to no one else (what a
    bucket with ``BucketOwnerEnforced`` ownership accepts)."""
    return any(g["Permission"] == "FULL_CONTROL" for g in grants) and all(
        g["Grantee"].get("ID") == owner_id for g in grants
    )


def object_ownership(bucket: Bucket) -> str:
    """The bucket's Object Ownership setting; one without ownership controls has ACLs enabled
    (recorded: ``test_object_put_acl`` deletes them to put ACLs) as ``ObjectWriter``."""
    rules = (bucket.config.get("OwnershipControls") or {}).get("Rules") or []
    return (rules[0].get("ObjectOwnership") if rules else None) or "ObjectWriter"


# ---- errors -------------------------------------------------------------------------------


def malformed_acl() -> ServiceError:
    return ServiceError("MalformedACLError", MALFORMED_XML, 400)


def acls_not_supported() -> ServiceError:
    # Message as S3 answers it (the user guide's troubleshooting page quotes the CLI's error line).
    return ServiceError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)


def unresolvable_email() -> ServiceError:
    # Cloudlet keeps no e-mail addresses of accounts, so none resolves.
    return ServiceError(
        "UnresolvableGrantByEmailAddress",
        "The email address that you provided does not match any account on record.",  # message unverified
        400,
    )


# ---- what a request asks for ------------------------------------------------------------------


def _header_grants(header: str, text: str, permission: str) -> list[Grant]:
    """The grants of one ``x-amz-grant-*`` header (recorded errors: ``put-*-grant-acl-fake-*``,
    ``..-wrong-id``)."""
    grants: list[Grant] = []
    pos = 0
    while pos < len(text) or not grants:
        found = _HEADER_GRANTEE.match(text, pos)
        if found is None or found.end() == pos:
            raise invalid_argument("Argument format not recognized", header, text)
        key, value = found[1].lower(), found[2] if found[2] is not None else found[3]
        if key == "id":
            if not _CANONICAL_ID.match(value):
                raise invalid_argument("Invalid id", "id", value)
            grants.append(user_grant(value.lower(), permission))
        elif key == "uri":
            if value not in GROUPS:
                raise invalid_argument("Invalid group uri", "uri", value)
            grants.append(group_grant(value, permission))
        elif key == "emailaddress":
            raise unresolvable_email()
        else:
            raise invalid_argument("Argument format not recognized", header, text)
        pos = found.end()
    return grants


def _policy_grants(policy: dict[str, Any]) -> list[Grant]:
    """The grants of an AccessControlPolicy body: its shape first (``MalformedACLError``:
    recorded for a missing Owner, an unknown permission or grantee type, an empty policy), then
    its ids and group URIs (recorded: ``put-*-acp-acl-3`` to ``-5``)."""
    owner = policy.get("Owner")
    grants = policy.get("Grants")
    if not isinstance(owner, dict) or not owner.get("ID") or grants is None:
        raise malformed_acl()
    for grant in grants:
        grantee = grant.get("Grantee") or {}
        kind = grantee.get("Type")
        if grant.get("Permission") not in PERMISSIONS:
            raise malformed_acl()
        needed = _GRANTEE_KEYS.get(kind or "")
        if needed is None or not grantee.get(needed):
            raise malformed_acl()
    if not _CANONICAL_ID.match(owner["ID"]):
        raise invalid_argument("Invalid id", "CanonicalUser/ID", owner["ID"])
    out: list[Grant] = []
    for grant in grants:
        grantee, permission = grant["Grantee"], grant["Permission"]
        if grantee["Type"] == "CanonicalUser":
            if not _CANONICAL_ID.match(grantee["ID"]):
                raise invalid_argument("Invalid id", "CanonicalUser/ID", grantee["ID"])
            out.append(user_grant(grantee["ID"].lower(), permission))
        elif grantee["Type"] == "Group":
            if grantee["URI"] not in GROUPS:
                raise invalid_argument("Invalid group uri", "Group/URI", grantee["URI"])
            out.append(group_grant(grantee["URI"], permission))
        else:
            raise unresolvable_email()
    return out


def requested_acl(params: dict[str, Any], owner_id: str) -> tuple[str | None, list[Grant]] | None:
    """``(canned ACL name or None, grants)`` a request sets, checked as S3 checks it; ``None``
    when it sets none. Recorded: a canned ACL with grant headers is an ``InvalidRequest``, with
    a body ``UnexpectedContent``; an unknown canned ACL an ``InvalidArgument`` without a message.
    """
    canned = params.get("ACL")
    headers = [
        (header, params[name], permission) for name, header, permission in GRANT_HEADERS if name in params
    ]
    policy = params.get("AccessControlPolicy")
    if policy is not None and (canned is not None or headers):
        raise ServiceError("UnexpectedContent", "This request does not support content", 400)
    if canned is not None and headers:
        raise ServiceError(
            "InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed", 400
        )
    if canned is not None:
        if canned not in CANNED_ACLS:
            raise invalid_argument("", "x-amz-acl", canned)  # S3 answers an empty Message
        return canned, canned_grants(canned, owner_id)
    if headers:
        return None, [
            g for header, text, permission in headers for g in _header_grants(header, text, permission)
        ]
    if policy is not None:
        return None, _policy_grants(policy)
    return None


def _accepted_when_enforced(asked: tuple[str | None, list[Grant]], owner_id: str) -> bool:
    canned, grants = asked
    return canned == "bucket-owner-full-control" if canned is not None else owner_only(grants, owner_id)


def _stored(grants: list[Grant], owner_id: str) -> list[Grant] | None:
    """What is kept of an ACL: nothing for the private default."""
    return None if grants == private_grants(owner_id) else grants


class Acls:
    """Get/Put of bucket and object ACLs, and the ACLs writes carry (the S3 provider mixes
    these in)."""

    def _shown(self: S3Provider, account: str, grants: list[Grant] | None) -> dict[str, Any]:
        """The Owner and Grants of an ACL as GetBucketAcl / GetObjectAcl answer them."""
        owner = owner_of(account)
        out = []
        for grant in grants if grants is not None else private_grants(owner["ID"]):
            grantee = dict(grant["Grantee"])
            if grantee.get("ID") == owner["ID"]:
                grantee.update(owner)
            out.append({"Grantee": grantee, "Permission": grant["Permission"]})
        return {"Owner": owner, "Grants": out}

    def _asked_acl(
        self: S3Provider, bucket: Bucket, params: dict[str, Any]
    ) -> tuple[str | None, list[Grant]] | None:
        """The ACL a write to ``bucket`` carries, refused when the bucket has ACLs disabled and
        it is not the owner's full control."""
        owner_id = canonical_user_id(bucket.account)
        asked = requested_acl(params, owner_id)
        if (
            asked is not None
            and object_ownership(bucket) == ENFORCED
            and not _accepted_when_enforced(asked, owner_id)
        ):
            raise acls_not_supported()
        return asked

    # -- hooks for the writes that take ACL headers --

    def set_write_acl(self: S3Provider, meta: dict[str, Any], bucket: Bucket, params: dict[str, Any]) -> None:
        """Give a new object (PutObject, CopyObject, CreateMultipartUpload) the ACL its request
        asks for, else the private default (a copy does not take its source's ACL)."""
        meta.pop("Acl", None)
        if "ACL" not in params and not any(name in params for name, _, _ in GRANT_HEADERS):
            return  # the common case, kept cheap
        asked = self._asked_acl(bucket, params)
        stored = _stored(asked[1], canonical_user_id(bucket.account)) if asked is not None else None
        if stored is not None:
            meta["Acl"] = stored

    def create_bucket_acl(
        self: S3Provider, params: dict[str, Any], account: str, ownership: str
    ) -> list[Grant] | None:
        """The ACL a CreateBucket asks for (to keep; None for the private default). With
        ``BucketOwnerEnforced`` only an ACL giving the owner full control alone is taken."""
        owner_id = canonical_user_id(account)
        asked = requested_acl(params, owner_id)
        if asked is None:
            return None
        if ownership == ENFORCED and not owner_only(asked[1], owner_id):
            raise ServiceError(
                "InvalidBucketAclWithObjectOwnership",
                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
                400,
            )
        return _stored(asked[1], owner_id)

    def save_bucket_acl(self: S3Provider, bucket: Bucket, grants: list[Grant] | None) -> None:
        """Keep a bucket's ACL (None: the private default). Also what re-creating an owned
        bucket in us-east-1 does, which answers 200 and resets the bucket's ACL (API reference,
        error code list: ``BucketAlreadyOwnedByYou``)."""
        if bucket.config.get("Acl") != grants:
            self._store(bucket, "Acl", grants)

    def check_ownership_change(self: S3Provider, bucket: Bucket, ownership: str) -> None:
        """PutBucketOwnershipControls may disable ACLs only on a bucket whose ACL gives no one
        but the owner access (user guide, Object Ownership troubleshooting)."""
        grants = bucket.config.get("Acl")
        if (
            ownership == ENFORCED
            and grants is not None
            and not owner_only(grants, canonical_user_id(bucket.account))
        ):
            raise ServiceError(
                "InvalidBucketAclWithObjectOwnership",
                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
                400,
            )

    # -- bucket ACLs --

    def get_bucket_acl(self: S3Provider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        enabled = object_ownership(bucket) != ENFORCED
        return self._shown(bucket.account, bucket.config.get("Acl") if enabled else None)

    def put_bucket_acl(self: S3Provider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        asked = self._asked_acl(bucket, params)
        if asked is None:
            raise _missing_acl()
        grants = _stored(asked[1], canonical_user_id(bucket.account))
        self.save_bucket_acl(bucket, grants)
        return {}

    # -- object ACLs --

    def get_object_acl(self: S3Provider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        row = self._object(bucket, params["Key"], params.get("VersionId"), "GET")
        enabled = object_ownership(bucket) != ENFORCED
        return self._shown(bucket.account, row.meta.get("Acl") if enabled else None)

    def put_object_acl(self: S3Provider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        version_id = params.get("VersionId")
        if not version_id:
            # a delete marker is refused as a method on it, named or not (recorded:
            # put-acl-delete-marker; a GET of it is NoSuchKey: get-acl-delete-marker)
            current = self.db.current(bucket, params["Key"])
            if current is not None and current.delete_marker:
                version_id = current.version_id
        row = self._object(bucket, params["Key"], version_id, "PUT")
        asked = self._asked_acl(bucket, params)
        if asked is None:
            raise _missing_acl()
        grants = _stored(asked[1], canonical_user_id(bucket.account))
        if row.meta.get("Acl") != grants:  # an unchanged ACL sends no event (recorded)
            if grants is None:
                row.meta.pop("Acl", None)
            else:
                row.meta["Acl"] = grants
            with self.store.transaction():
                self.db.update_meta(row)
                self._notify(ctx, bucket, "s3:ObjectAcl:Put", row)
        return {}


def _missing_acl() -> ServiceError:
    # recorded: put-bucket-empty, put-object-acl-empty
    return ServiceError(
        "MissingSecurityHeader",
        "Your request was missing a required header",
        400,
        fields={"MissingHeaderName": "x-amz-acl"},
    )
