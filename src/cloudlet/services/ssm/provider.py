"""AWS Systems Manager Parameter Store: parameters, versions, labels, policies, tags, public parameters.

Only the Parameter Store operations are implemented; every other SSM operation answers
NotImplemented (services/base.py).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.ssm import filters, names, policies, public, references, secure
from cloudlet.services.ssm.names import Reference, parameter_arn, validation
from cloudlet.services.ssm.store import MAX_VERSIONS, SsmStore, Version

EXPIRE = "ssm.expire"
STANDARD_MAX_VALUE = 4096
ADVANCED_MAX_VALUE = 8192
LIMITS = {"Standard": 10_000, "Advanced": 100_000}
MAX_NAME_ARN = 1011
MAX_TAGS = 50
DATA_TYPES = ("text", "aws:ec2:image", "aws:ssm:integration")
_AMI = re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")

STANDARD_TOO_LARGE = (
    "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger "
    "parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see "
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
)
DOWNGRADE = (
    "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the "
    "advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced "
    "parameter and recreate it as a standard parameter."
)
TAGS_WITH_OVERWRITE = (
    "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please "
    "remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or "
    "RemoveTagsFromResource."
)


def _not_found(message: str = "") -> ServiceError:
    # unverified: GetParameter and DeleteParameter answer ParameterNotFound with an empty message
    return ServiceError("ParameterNotFound", message, 400)


def _version_not_found(name: str, version: int) -> ServiceError:
    return ServiceError(
        "ParameterVersionNotFound",
        f"Systems Manager could not find version {version} of {name}. Verify the version and try again.",
        400,
    )


def _token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


def _untoken(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ServiceError(
            "InvalidNextToken", "The specified token is not valid.", 400
        ) from None  # unverified


def _page(
    items: list[Any], key: Any, token: str | None, size: int, numeric: bool = False
) -> tuple[list[Any], str | None]:
    """One page of ``items`` (sorted by ``key``) after the position ``token`` names."""
    after = _untoken(token)
    if after is not None:
        if numeric:
            if not after.isdigit():
                raise ServiceError("InvalidNextToken", "The specified token is not valid.", 400)
            items = [i for i in items if key(i) > int(after)]
        else:
            items = [i for i in items if key(i) > after]
    page = items[:size]
    more = len(items) > size
    return page, (_token(str(key(page[-1]))) if more and page else None)


class SsmProvider(Provider):
    service = "ssm"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.db = SsmStore(self.store)
        self.scheduler.register(EXPIRE, self._expire)

    def resource_counts(self) -> dict[str, int]:
        total = self.db.total()
        return {"parameters": total} if total else {}

    # ---- helpers ------------------------------------------------------------------------

    def _user(self, ctx: RequestContext) -> str:
        principal = self.runtime.credentials.lookup(ctx.access_key) if ctx.access_key else None
        if principal is not None:
            return principal.arn
        return f"arn:{ctx.partition}:iam::{ctx.account}:root"

    def _public(self, ctx: RequestContext, name: str) -> Version | None:
        value = public.parameters(ctx.region).get(name)
        if value is None:
            return None
        return Version(
            "",
            ctx.region,
            name,
            1,
            "String",
            value,
            None,
            None,
            None,
            "Standard",
            "text",
            None,
            public.MODIFIED,
            "",
        )

    def find(self, ctx: RequestContext, ref: Reference) -> Version:
        """The version ``ref`` names (latest, ``:version`` or ``:label``), or AWS's error."""
        for name in ref.candidates:
            if public.is_public(name):
                latest = self._public(ctx, name)
            else:
                names.check_name(name)
                latest = self.db.latest(ctx.account, ctx.region, name)
            if latest is None:
                continue
            if ref.version is not None:
                if ref.version == latest.version:
                    return latest
                found = (
                    self.db.version(ctx.account, ctx.region, name, ref.version) if latest.account else None
                )
                if found is None:
                    raise _version_not_found(name, ref.version)
                return found
            if ref.label is not None:
                version = (
                    self.db.labels(ctx.account, ctx.region, name).get(ref.label) if latest.account else None
                )
                found = self.db.version(ctx.account, ctx.region, name, version) if version else None
                if found is None:
                    # unverified: the error and message for a label no version carries
                    raise ServiceError(
                        "ParameterVersionNotFound",
                        f"Systems Manager could not find label {ref.label} of {name}. Verify the label and try again.",
                        400,
                    )
                return found
            return latest
        raise _not_found()

    def _existing(self, ctx: RequestContext, name: str) -> Version:
        """The latest version of a parameter named by name or ARN (no selector)."""
        ref = names.parse_reference(name)
        for candidate in ref.candidates:
            names.check_name(candidate)
            latest = self.db.latest(ctx.account, ctx.region, candidate)
            if latest is not None:
                return latest
        raise _not_found(f"Parameter {name} not found.")  # unverified: message wording

    def value_of(self, v: Version, decrypt: bool) -> str:
        if v.type != "SecureString" or not decrypt:
            return v.value
        arn = parameter_arn(v.region, v.account, v.name)
        return secure.decrypt(self.runtime, v.account, v.region, arn, v.value)

    def _parameter(self, v: Version, decrypt: bool, selector: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Name": v.name,
            "Type": v.type,
            "Value": self.value_of(v, decrypt),
            "Version": v.version,
            "LastModifiedDate": v.modified,
            "ARN": parameter_arn(v.region, v.account, v.name),
            "DataType": v.data_type,
        }
        if selector:
            out["Selector"] = selector
        return out

    def _metadata(self, v: Version) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Name": v.name,
            "ARN": parameter_arn(v.region, v.account, v.name),
            "Type": v.type,
            "LastModifiedDate": v.modified,
            "LastModifiedUser": v.modified_user,
            "Version": v.version,
            "Tier": v.tier,
            "Policies": v.policies or [],
            "DataType": v.data_type,
        }
        for key, value in (
            ("KeyId", v.key_id),
            ("Description", v.description),
            ("AllowedPattern", v.allowed_pattern),
        ):
            if value is not None:
                out[key] = value
        return out

    # ---- PutParameter ---------------------------------------------------------------------

    def put_parameter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name: str = params["Name"]
        value: str = params["Value"]
        names.check_name(name, writing=True)
        arn = parameter_arn(ctx.region, ctx.account, name)
        if len(arn) > MAX_NAME_ARN:
            # unverified: message wording
            raise validation(
                f"Parameter name: {name} is too long. The maximum length for a parameter name, including the "
                f"characters of its ARN, is {MAX_NAME_ARN} characters."
            )
        overwrite = bool(params.get("Overwrite"))
        if params.get("Tags") and overwrite:
            raise validation(TAGS_WITH_OVERWRITE)
        existing = self.db.latest(ctx.account, ctx.region, name)
        if existing is not None and not overwrite:
            raise ServiceError(
                "ParameterAlreadyExists",
                "The parameter already exists. To overwrite this value, set the overwrite option in the "
                "request to true.",
                400,
            )
        # unverified: an overwrite may change the type (no HierarchyTypeMismatchException)
        kind = params.get("Type") or (existing.type if existing else None)
        if kind is None:
            raise validation("A parameter type is required when you create a parameter.")
        if not value:
            raise validation(
                "1 validation error detected: Value '' at 'value' failed to satisfy constraint: "
                "Member must have length greater than or equal to 1"
            )
        key_id = params.get("KeyId")
        if key_id and kind != "SecureString":
            # unverified: message wording
            raise validation("KeyId is required for SecureString type parameter only.")
        data_type = params.get("DataType") or (existing.data_type if existing else "text")
        self._check_data_type(data_type, kind, value)
        description = params.get("Description", existing.description if existing else None)
        pattern = params.get("AllowedPattern") or (existing.allowed_pattern if existing else None)
        if pattern:
            self._check_pattern(pattern, value)
        now = self.clock.now()
        if params.get("Policies") is not None:
            inline = policies.parse(params["Policies"], now) or None
        else:
            inline = existing.policies if existing else None  # unverified: omitted Policies are kept
        tier = self._tier(ctx, params.get("Tier"), existing, value, inline)
        version = existing.version + 1 if existing else 1
        if kind == "SecureString":
            if not key_id and existing is not None and existing.type == "SecureString":
                key_id = existing.key_id  # an overwrite keeps the parameter's key
            if key_id == secure.DEFAULT_KEY:
                key_id = None
            stored = secure.encrypt(self.runtime, ctx.account, ctx.region, key_id, arn, value)
            key_id = key_id or secure.DEFAULT_KEY
        else:
            stored, key_id = value, None
        row = Version(
            ctx.account,
            ctx.region,
            name,
            version,
            kind,
            stored,
            key_id,
            description,
            pattern,
            tier,
            data_type,
            inline,
            now,
            self._user(ctx),
        )
        tags = {t["Key"]: t["Value"] for t in params.get("Tags") or []} if existing is None else None
        if tags is not None and len(tags) > MAX_TAGS:
            raise self._too_many_tags()
        with self.store.transaction():
            if existing is not None:
                self._prune(existing)
            self.db.put(row, tags)
            self._schedule_expiry(row)
        return {"Version": version, "Tier": tier}

    @staticmethod
    def _check_data_type(data_type: str, kind: str, value: str) -> None:
        if data_type not in DATA_TYPES:
            raise validation(
                f"The following data type is not supported: {data_type} (Data type names are all lowercase.)"
            )
        if data_type == "aws:ec2:image":
            if kind != "String":
                # unverified: message wording
                raise validation("The aws:ec2:image data type is only supported for String parameters.")
            if not _AMI.match(value):
                # unverified: message wording
                raise validation(f"Parameter value, {value}, is not a valid AMI ID (ami-12345abcdeEXAMPLE).")

    @staticmethod
    def _check_pattern(pattern: str, value: str) -> None:
        try:
            compiled = re.compile(pattern)
        except (re.error, OverflowError):
            # unverified: message wording
            raise ServiceError(
                "InvalidAllowedPatternException", "The parameter value pattern is not valid.", 400
            ) from None
        if not compiled.fullmatch(value):  # unverified: the whole value must match, as Java matches()
            raise ServiceError(
                "ParameterPatternMismatchException",
                f"Parameter value, cannot be validated against allowedPattern: {pattern}",
                400,
            )

    def _tier(
        self,
        ctx: RequestContext,
        requested: str | None,
        existing: Version | None,
        value: str,
        inline: list[dict[str, Any]] | None,
    ) -> str:
        current = existing.tier if existing else None
        if requested == "Intelligent-Tiering":
            needs = len(value) > STANDARD_MAX_VALUE or bool(inline) or current == "Advanced"
            full = (
                current != "Standard"
                and self.db.count(ctx.account, ctx.region, "Standard") >= LIMITS["Standard"]
            )
            tier = "Advanced" if needs or full else "Standard"
        else:
            tier = requested or current or "Standard"
        if current == "Advanced" and tier == "Standard":
            raise validation(DOWNGRADE)
        if tier == "Standard":
            if len(value) > STANDARD_MAX_VALUE:
                raise validation(STANDARD_TOO_LARGE)
            if inline:
                # unverified: message wording
                raise validation(
                    "Parameter policies are supported only for advanced-tier parameters. Use the Advanced or "
                    "Intelligent-Tiering tier."
                )
        elif len(value) > ADVANCED_MAX_VALUE:
            # unverified: message wording
            raise validation(
                "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have "
                f"length less than or equal to {ADVANCED_MAX_VALUE}"
            )
        if tier != current and self.db.count(ctx.account, ctx.region, tier) >= LIMITS[tier]:
            # unverified: message wording
            raise ServiceError(
                "ParameterLimitExceeded",
                f"You have reached the maximum number of {tier.lower()}-tier parameters ({LIMITS[tier]}) "
                "for this account and Region.",
                400,
            )
        return tier

    def _prune(self, existing: Version) -> None:
        """Make room for a new version: AWS keeps 100, dropping the oldest unless it has a label."""
        versions = self.db.versions(existing.account, existing.region, existing.name)
        if len(versions) < MAX_VERSIONS:
            return
        oldest = versions[0]
        labels = self.db.labels(existing.account, existing.region, existing.name)
        if oldest.version in labels.values():
            raise ServiceError(
                "ParameterMaxVersionLimitExceeded",
                f"You attempted to create a new version of {existing.name} by calling the PutParameter API "
                f"with the overwrite flag. Version {oldest.version}, the oldest version, can't be deleted "
                "because it has a label associated with it. Move the label to another version of the "
                "parameter, and try again.",
                400,
            )
        self.db.drop_version(existing.account, existing.region, existing.name, oldest.version)

    # ---- expiration policies ----------------------------------------------------------------

    @staticmethod
    def _timer_key(account: str, region: str, name: str) -> str:
        return f"{EXPIRE}:{account}:{region}:{name}"

    def _schedule_expiry(self, v: Version) -> None:
        key = self._timer_key(v.account, v.region, v.name)
        self.scheduler.cancel(key)
        when = policies.expires_at(v.policies)
        if when is not None:
            payload = {"account": v.account, "region": v.region, "name": v.name, "at": when}
            self.scheduler.schedule(when, EXPIRE, payload, key=key)

    def _expire(self, payload: dict[str, Any]) -> None:
        """An Expiration policy fell due: the parameter goes (if that policy still holds)."""
        latest = self.db.latest(payload["account"], payload["region"], payload["name"])
        if latest is None:
            return
        when = policies.expires_at(latest.policies)
        if when is None or abs(when - payload["at"]) > 1e-3:
            return
        with self.store.transaction():
            self.db.delete(latest.account, latest.region, latest.name)

    # ---- reads ----------------------------------------------------------------------------

    def get_parameter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if references.is_reference(params["Name"]):
            decrypt = bool(params.get("WithDecryption"))
            return {
                "Parameter": references.read(self.runtime, ctx.account, ctx.region, params["Name"], decrypt)
            }
        ref = names.parse_reference(params["Name"])
        v = self.find(ctx, ref)
        return {"Parameter": self._parameter(v, bool(params.get("WithDecryption")), ref.selector)}

    def get_parameters(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        decrypt = bool(params.get("WithDecryption"))
        found: list[dict[str, Any]] = []
        invalid: list[str] = []
        seen: set[str] = set()
        for text in params["Names"]:
            if text in seen:
                continue
            seen.add(text)
            try:
                if references.is_reference(text):
                    found.append(references.read(self.runtime, ctx.account, ctx.region, text, decrypt))
                    continue
                ref = names.parse_reference(text)
                v = self.find(ctx, ref)
            except ServiceError as exc:
                if exc.code in ("ParameterNotFound", "ParameterVersionNotFound", "ValidationException"):
                    invalid.append(text)
                    continue
                raise
            found.append(self._parameter(v, decrypt, ref.selector))
        return {"Parameters": found, "InvalidParameters": invalid}

    def get_parameters_by_path(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        path = names.check_path(params["Path"])
        recursive = bool(params.get("Recursive"))
        predicates = filters.build(params.get("ParameterFilters"), by_path=True)
        if public.is_public(path + "/"):
            candidates = [
                v for name in public.parameters(ctx.region) if (v := self._public(ctx, name)) is not None
            ]
        else:
            candidates = self.db.listing(ctx.account, ctx.region, path + "/" if path else "")
        chosen = [v for v in candidates if names.under_path(v.name, path, recursive)]
        chosen = self._filtered(ctx, chosen, predicates)
        page, token = _page(chosen, lambda v: v.name, params.get("NextToken"), params.get("MaxResults") or 10)
        decrypt = bool(params.get("WithDecryption"))
        out: dict[str, Any] = {"Parameters": [self._parameter(v, decrypt) for v in page]}
        if token:
            out["NextToken"] = token
        return out

    def _filtered(
        self, ctx: RequestContext, items: list[Version], predicates: list[filters.Predicate]
    ) -> list[Version]:
        if not predicates:
            return items
        tags = self.db.all_tags(ctx.account, ctx.region)
        out = []
        for v in items:
            labels = list(self.db.labels(ctx.account, ctx.region, v.name)) if v.account else []
            if filters.matches(predicates, v, filters.Facts(tags.get(v.name, {}), labels)):
                out.append(v)
        return out

    def describe_parameters(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        predicates = filters.build(params.get("ParameterFilters"), params.get("Filters"))
        if params.get("Shared"):
            return {"Parameters": []}  # Cloudlet shares no parameters between accounts
        chosen = self._filtered(ctx, self.db.listing(ctx.account, ctx.region), predicates)
        page, token = _page(chosen, lambda v: v.name, params.get("NextToken"), params.get("MaxResults") or 10)
        out: dict[str, Any] = {"Parameters": [self._metadata(v) for v in page]}
        if token:
            out["NextToken"] = token
        return out

    def get_parameter_history(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        latest = self._existing(ctx, params["Name"])
        decrypt = bool(params.get("WithDecryption"))
        labels: dict[int, list[str]] = {}
        for label, version in self.db.labels(ctx.account, ctx.region, latest.name).items():
            labels.setdefault(version, []).append(label)
        versions = self.db.versions(ctx.account, ctx.region, latest.name)
        page, token = _page(
            versions,
            lambda v: v.version,
            params.get("NextToken"),
            params.get("MaxResults") or 50,
            numeric=True,
        )
        history = []
        for v in page:
            item = self._metadata(v)
            del item["ARN"]
            item["Value"] = self.value_of(v, decrypt)
            item["Labels"] = labels.get(v.version, [])
            history.append(item)
        out: dict[str, Any] = {"Parameters": history}
        if token:
            out["NextToken"] = token
        return out

    # ---- deletes --------------------------------------------------------------------------

    def _delete(self, v: Version) -> None:
        with self.store.transaction():
            self.db.delete(v.account, v.region, v.name)
            self.scheduler.cancel(self._timer_key(v.account, v.region, v.name))

    def delete_parameter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        try:
            v = self._existing(ctx, params["Name"])
        except ServiceError as exc:
            if exc.code == "ParameterNotFound":
                raise _not_found() from None
            raise
        self._delete(v)
        return {}

    def delete_parameters(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        deleted: list[str] = []
        invalid: list[str] = []
        for name in params["Names"]:
            try:
                v = self._existing(ctx, name)
            except ServiceError:
                invalid.append(name)
                continue
            self._delete(v)
            deleted.append(name)
        return {"DeletedParameters": deleted, "InvalidParameters": invalid}

    # ---- labels ---------------------------------------------------------------------------

    def label_parameter_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        latest = self._existing(ctx, params["Name"])
        number = params.get("ParameterVersion")
        number = latest.version if number is None else number
        if self.db.version(ctx.account, ctx.region, latest.name, number) is None:
            raise _version_not_found(latest.name, number)
        current = self.db.labels(ctx.account, ctx.region, latest.name)
        valid = [label for label in dict.fromkeys(params["Labels"]) if names.label_is_valid(label)]
        invalid = [label for label in dict.fromkeys(params["Labels"]) if not names.label_is_valid(label)]
        on_version = {label for label, v in current.items() if v == number}
        if len(on_version | set(valid)) > names.MAX_LABELS_PER_VERSION:
            raise ServiceError(
                "ParameterVersionLabelLimitExceeded",
                "A parameter version can have maximum 10 labels.Move one or more labels to another version "
                "and try again.",
                400,
            )
        with self.store.transaction():
            for label in valid:
                self.db.set_label(ctx.account, ctx.region, latest.name, label, number)
        return {"InvalidLabels": invalid, "ParameterVersion": number}

    def unlabel_parameter_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        latest = self._existing(ctx, params["Name"])
        number = params["ParameterVersion"]
        if self.db.version(ctx.account, ctx.region, latest.name, number) is None:
            raise _version_not_found(latest.name, number)
        current = self.db.labels(ctx.account, ctx.region, latest.name)
        removed = [label for label in dict.fromkeys(params["Labels"]) if current.get(label) == number]
        invalid = [label for label in dict.fromkeys(params["Labels"]) if current.get(label) != number]
        with self.store.transaction():
            for label in removed:
                self.db.remove_label(ctx.account, ctx.region, latest.name, label)
        return {"RemovedLabels": removed, "InvalidLabels": invalid}

    # ---- tags -----------------------------------------------------------------------------

    @staticmethod
    def _too_many_tags() -> ServiceError:
        # unverified: message wording
        return ServiceError(
            "TooManyTagsError",
            f"The Tags parameter contains too many tags. A resource can have a maximum of {MAX_TAGS} tags.",
            400,
        )

    def _tagged(self, ctx: RequestContext, params: dict[str, Any]) -> tuple[str, dict[str, str]]:
        if params["ResourceType"] != "Parameter":
            # Cloudlet holds no resource of the other types (documents, maintenance windows, ...):
            # whatever is named does not exist, which AWS answers so.
            raise ServiceError("InvalidResourceId", "", 400)  # unverified: empty message
        try:
            v = self._existing(ctx, params["ResourceId"])
        except ServiceError:
            raise ServiceError("InvalidResourceId", "", 400) from None  # unverified: empty message
        return v.name, self.db.tags(ctx.account, ctx.region, v.name) or {}

    def add_tags_to_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, tags = self._tagged(ctx, params)
        tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
        if len(tags) > MAX_TAGS:
            raise self._too_many_tags()
        with self.store.transaction():
            self.db.set_tags(ctx.account, ctx.region, name, tags)
        return {}

    def remove_tags_from_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, tags = self._tagged(ctx, params)
        for key in params["TagKeys"]:
            tags.pop(key, None)
        with self.store.transaction():
            self.db.set_tags(ctx.account, ctx.region, name, tags)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _, tags = self._tagged(ctx, params)
        return {"TagList": [{"Key": k, "Value": v} for k, v in tags.items()]}
