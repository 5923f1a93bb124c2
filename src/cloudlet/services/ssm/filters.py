"""DescribeParameters and GetParametersByPath filters: ParameterFilters and the legacy Filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.ssm import names
from cloudlet.services.ssm.store import Version

TYPES = ("String", "StringList", "SecureString")
TIERS = ("Standard", "Advanced", "Intelligent-Tiering")
DESCRIBE_KEYS = ("Name", "Type", "KeyId", "Path", "Tier", "Label", "DataType")
# unverified: AWS documents Type, KeyId and Label (and tags) for GetParametersByPath; DataType allowed too.
BY_PATH_KEYS = ("Type", "KeyId", "Label", "DataType")
_OPTIONS = {"Name": ("Equals", "BeginsWith", "Contains"), "Path": ("Recursive", "OneLevel")}
_DEFAULT_OPTIONS = ("Equals", "BeginsWith")


def _bad_key(key: str, valid: tuple[str, ...]) -> ServiceError:
    # unverified: message wording
    return ServiceError(
        "InvalidFilterKey",
        f"The following filter key is not valid: {key}. Valid filter keys include: [{', '.join(valid)}].",
        400,
    )


def _bad_option(option: str, valid: tuple[str, ...]) -> ServiceError:
    # unverified: message wording
    return ServiceError(
        "InvalidFilterOption",
        f"The following filter option is not valid: {option}. Valid options include: [{', '.join(valid)}].",
        400,
    )


def _bad_value(key: str, value: str, valid: tuple[str, ...] | None = None) -> ServiceError:
    # unverified: message wording
    tail = f" Valid values include: [{', '.join(valid)}]." if valid else ""
    return ServiceError(
        "InvalidFilterValue",
        f"The following filter value is not valid: {value} for filter key {key}.{tail}",
        400,
    )


@dataclass(frozen=True)
class Facts:
    """What a filter may look at besides the version itself."""

    tags: dict[str, str]
    labels: list[str]


Predicate = Callable[[Version, Facts], bool]


def _compare(option: str, values: list[str]) -> Callable[[str | None], bool]:
    def test(actual: str | None) -> bool:
        if actual is None:
            return False
        if option == "BeginsWith":
            return any(actual.startswith(v) for v in values)
        if option == "Contains":
            return any(v in actual for v in values)
        return actual in values

    return test


def _name_values(values: list[str]) -> list[str]:
    """Names with and without their leading slash, as AWS matches them (unverified)."""
    out = []
    for value in values:
        out.append(value)
        out.append(value[1:] if value.startswith("/") else "/" + value)
    return out


def _one(spec: dict[str, Any], keys: tuple[str, ...]) -> Predicate:
    key = spec["Key"]
    values: list[str] = list(spec.get("Values") or [])
    tag_key = key[4:] if key.startswith("tag:") else None
    if tag_key is None and key not in keys:
        raise _bad_key(key, keys)
    valid = _OPTIONS.get(key, _DEFAULT_OPTIONS)
    option = spec.get("Option") or ("OneLevel" if key == "Path" else "Equals")
    if option not in valid:
        raise _bad_option(option, valid)
    if tag_key is not None:
        if not values:
            return lambda v, f: tag_key in f.tags
        test = _compare(option, values)
        return lambda v, f: test(f.tags.get(tag_key))
    if not values:
        # unverified: message wording
        raise ServiceError(
            "InvalidFilterValue", f"The following filter values are missing : null for filter key {key}.", 400
        )
    if key == "Path":
        paths = []
        for value in values:
            try:
                paths.append(names.check_path(value))
            except ServiceError:
                raise _bad_value(key, value) from None
        recursive = option == "Recursive"
        return lambda v, f: any(names.under_path(v.name, p, recursive) for p in paths)
    if key == "Type":
        for value in values:
            if value not in TYPES:
                raise _bad_value(key, value, TYPES)
    if key == "Tier":
        for value in values:
            if value not in TIERS[:2]:
                raise _bad_value(key, value, TIERS[:2])
    if key == "Name":
        test = _compare(option, _name_values(values))
        return lambda v, f: test(v.name)
    if key == "Label":
        test = _compare(option, values)
        return lambda v, f: any(test(label) for label in f.labels)
    test = _compare(option, values)
    field = {"Type": "type", "KeyId": "key_id", "Tier": "tier", "DataType": "data_type"}[key]
    return lambda v, f: test(getattr(v, field))


def build(
    parameter_filters: list[dict[str, Any]] | None,
    legacy: list[dict[str, Any]] | None = None,
    *,
    by_path: bool = False,
) -> list[Predicate]:
    """Predicates that all must hold; AWS's errors for bad keys, options and values."""
    if parameter_filters and legacy:
        # unverified: message wording
        raise names.validation("You can use either Filters or ParameterFilters in a single request.")
    keys = BY_PATH_KEYS if by_path else DESCRIBE_KEYS
    specs = list(parameter_filters or [])
    for spec in legacy or []:
        key = spec["Key"]
        option = "BeginsWith" if key == "Name" else "Equals"  # unverified: legacy Name matches prefixes
        specs.append({"Key": key, "Option": option, "Values": spec.get("Values")})
    seen: set[str] = set()
    out = []
    for spec in specs:
        if spec["Key"] in seen:
            # unverified: message wording
            raise ServiceError(
                "InvalidFilterKey",
                f"The following filter is duplicated in the request: {spec['Key']}. A request can contain "
                "only one occurrence of a specific filter.",
                400,
            )
        seen.add(spec["Key"])
        out.append(_one(spec, keys))
    return out


def matches(predicates: list[Predicate], version: Version, facts: Facts) -> bool:
    return all(p(version, facts) for p in predicates)
