"""Function names, qualifiers and ARNs: ``name``, ``123456789012:function:name`` or a full ARN,
each optionally qualified (``:1``, ``:alias``, ``:$LATEST``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloudlet.core.arn import make_arn
from cloudlet.services.awslambda.errors import coral, invalid, not_found

LATEST = "$LATEST"
MAX_NAME = 64
_FUNCTION = re.compile(
    r"^(?:arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:)?"
    r"(?:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9-_]+)"
    r"(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$"
)
_ALIAS = re.compile(r"^(?!^[0-9]+$)[a-zA-Z0-9-_]+$")
_LAYER_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"layer:(?P<name>[a-zA-Z0-9-_]+)(?::(?P<version>[0-9]+))?$"
)


@dataclass(frozen=True)
class FunctionRef:
    """A function as a request names it."""

    account: str
    region: str
    name: str
    qualifier: str | None

    def arn(self, qualifier: str | None = None) -> str:
        q = qualifier if qualifier is not None else self.qualifier
        return function_arn(self.region, self.account, self.name, q)


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    return make_arn("lambda", region, account, f"function:{name}" + (f":{qualifier}" if qualifier else ""))


def layer_arn(region: str, account: str, name: str, version: int | None = None) -> str:
    return make_arn("lambda", region, account, f"layer:{name}" + (f":{version}" if version else ""))


def parse_function(
    value: str, account: str, region: str, qualifier: str | None = None, *, allow_qualified: bool = True
) -> FunctionRef:
    """Read a FunctionName (with the request's Qualifier, if any) as AWS reads it."""
    m = _FUNCTION.match(value)
    if m is None:
        raise coral(
            value,
            "functionName",
            "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
            r"((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
            r"([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?",
        )
    name = m["name"]
    if len(name) > MAX_NAME:
        raise coral(
            value,
            "functionName",
            f"Member must have length less than or equal to {MAX_NAME}",
            "InvalidParameterValueException",
        )
    if m["region"] and m["region"] != region:
        raise not_found(f"Functions from '{m['region']}' are not reachable in this region ('{region}')")
    # unverified: a function of another account is answered as not found in this one
    owner = m["account"] or account
    derived = m["qualifier"]
    if derived is not None and qualifier is not None and derived != qualifier:
        raise invalid("The derived qualifier from the function name does not match the specified qualifier.")
    q = derived if derived is not None else qualifier
    if q is not None and not allow_qualified:
        raise invalid(
            "This operation is permitted on Lambda functions only. Aliases and versions do not support "
            "this operation. Please specify either a function name or an unqualified function ARN."
        )
    return FunctionRef(owner, region, name, q)


def is_version(qualifier: str) -> bool:
    return qualifier == LATEST or qualifier.isdigit()


def check_alias_name(name: str, member: str = "name") -> None:
    if not _ALIAS.match(name):
        raise coral(
            name, member, r"Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        )


def parse_layer_arn(arn: str) -> tuple[str, str, str, int | None] | None:
    """(region, account, name, version) of a layer (version) ARN, or None."""
    m = _LAYER_ARN.match(arn)
    if m is None:
        return None
    return m["region"], m["account"], m["name"], int(m["version"]) if m["version"] else None


def ref_of_arn(arn: str) -> FunctionRef:
    """The function a (possibly qualified) function ARN names, in the ARN's own account and region."""
    parts = arn.split(":")
    if len(parts) < 7:
        raise ValueError(f"not a function ARN: {arn}")
    return parse_function(arn, parts[4], parts[3])
