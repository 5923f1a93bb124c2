"""Policy documents: parsed once into statements ready to evaluate, validated with IAM's
MalformedPolicyDocument messages.

Kinds: ``identity`` (user, group, role inline and managed policies, permissions boundaries:
no Principal, Resource required), ``resource`` (Principal required, Resource allowed) and
``trust`` (a role's AssumeRolePolicyDocument: Principal required, Resource prohibited).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import orjson

from cloudlet.core.policy.matching import Matcher, action_matcher, arn_matcher

Kind = Literal["identity", "resource", "trust"]
VERSIONS = ("2012-10-17", "2008-10-17")

_TOP_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
}
_ACTION_RE = re.compile(r"^[A-Za-z0-9_.*?-]+:[A-Za-z0-9_*?.-]*$")
_SID_RE = re.compile(r"^[0-9A-Za-z]*$")

# Condition operators by base name (lower case); "negated" ones are true when the key is absent.
OPERATORS: dict[str, str] = {
    name.lower(): name
    for name in (
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    )
}
NEGATED = frozenset(
    {
        "stringnotequals",
        "stringnotequalsignorecase",
        "stringnotlike",
        "numericnotequals",
        "datenotequals",
        "notipaddress",
        "arnnotequals",
        "arnnotlike",
    }
)


class PolicyError(Exception):
    """A document IAM refuses: ``code`` is MalformedPolicyDocument unless said otherwise."""

    def __init__(self, message: str, code: str = "MalformedPolicyDocument") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class Condition:
    operator: str  # base operator, lower case ("stringlike")
    key: str  # context key, lower case
    values: tuple[str, ...]
    if_exists: bool = False
    qualifier: str = ""  # "", "forallvalues" or "foranyvalue"
    name: str = ""  # the key as the policy wrote it


@dataclass(frozen=True, slots=True)
class Statement:
    allow: bool
    actions: tuple[Matcher, ...]
    not_action: bool
    resources: tuple[str, ...]  # patterns (may hold policy variables); () when absent
    not_resource: bool
    has_resource: bool
    principals: dict[str, tuple[str, ...]] | None  # {"AWS": (...), "Service": ...}; "*" as {"*": ("*",)}
    not_principal: bool
    conditions: tuple[Condition, ...]
    sid: str = ""
    start: tuple[int, int] = (1, 1)  # (line, column) of the statement's "{"
    end: tuple[int, int] = (1, 1)  # (line, column) just past its "}"
    resource_matchers: tuple[Matcher, ...] | None = None  # precompiled when free of variables


@dataclass(frozen=True, slots=True)
class Policy:
    version: str
    statements: tuple[Statement, ...]
    text: str = field(repr=False, default="")


def policy_size(text: str) -> int:
    """Characters IAM counts against a policy quota: white space is not counted."""
    return sum(1 for ch in text if not ch.isspace())


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _strings(value: Any) -> tuple[str, ...]:
    items = _list(value)
    if not items or not all(isinstance(v, str) for v in items):
        raise PolicyError("Syntax errors in policy.")
    return tuple(items)


def statement_spans(text: str) -> list[tuple[int, int]]:
    """Offsets (start of ``{``, just past ``}``) of each statement object in ``text``."""
    spans: list[tuple[int, int]] = []
    stack: list[str] = []  # container kinds: "{" or "["
    keys: list[str | None] = []  # per container: the key whose value is being read
    starts: list[int] = []
    i, n = 0, len(text)
    last_string = ""
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            last_string = text[i + 1 : j]
            i = j + 1
            continue
        if ch == ":" and stack and stack[-1] == "{":
            keys[-1] = last_string
        elif ch in "{[":
            stack.append(ch)
            keys.append(None)
            starts.append(i)
        elif ch in "}]":
            if not stack:
                break
            stack.pop()
            keys.pop()
            start = starts.pop()
            if ch == "}" and _is_statement(stack, keys):
                spans.append((start, i + 1))
        elif ch == "," and stack and stack[-1] == "{":
            keys[-1] = None
        i += 1
    return spans


def _is_statement(stack: list[str], keys: list[str | None]) -> bool:
    if len(stack) == 1:  # {"Statement": {...}}
        return keys[0] == "Statement"
    return len(stack) == 2 and stack[1] == "[" and keys[0] == "Statement"


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _check_action(action: str) -> None:
    if action != "*" and not _ACTION_RE.match(action):
        raise PolicyError("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")


def _check_resource(resource: str) -> None:
    if resource == "*" or (resource.startswith("arn:") and resource.count(":") >= 5):
        return
    if "${" in resource:  # a variable may stand for the whole ARN  # unverified
        return
    raise PolicyError(f'Resource {resource} must be in ARN format or "*".')


def _principals(value: Any) -> dict[str, tuple[str, ...]]:
    if value == "*":
        return {"*": ("*",)}
    if not isinstance(value, dict) or not value:
        raise PolicyError("Syntax errors in policy.")
    out: dict[str, tuple[str, ...]] = {}
    for kind, ids in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise PolicyError("Syntax errors in policy.")  # unverified: exact message
        out[kind] = _strings(ids)
    return out


def _conditions(value: Any) -> tuple[Condition, ...]:
    if not isinstance(value, dict):
        raise PolicyError("Syntax errors in policy.")
    out: list[Condition] = []
    for op_name, block in value.items():
        qualifier, _, base = op_name.rpartition(":")
        qualifier = qualifier.lower()
        lowered = base.lower()
        if_exists = lowered.endswith("ifexists") and lowered != "ifexists"
        if if_exists:
            lowered = lowered[: -len("ifexists")]
        if lowered not in OPERATORS or qualifier not in ("", "forallvalues", "foranyvalue"):
            raise PolicyError(f"Invalid Condition type : {op_name}")  # unverified: exact message
        if not isinstance(block, dict):
            raise PolicyError("Syntax errors in policy.")
        for key, raw in block.items():
            if ":" not in key:
                raise PolicyError(
                    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
                )
            items = _list(raw)
            if not all(isinstance(v, str | int | float | bool) and v is not None for v in items):
                raise PolicyError("Syntax errors in policy.")
            values = tuple(_scalar(v) for v in items)
            out.append(Condition(lowered, key.lower(), values, if_exists, qualifier, key))
    return tuple(out)


def _scalar(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _statement(raw: Any, kind: Kind, version: str, span: tuple[int, int] | None, text: str) -> Statement:
    if not isinstance(raw, dict):
        raise PolicyError("Syntax errors in policy.")
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise PolicyError("Syntax errors in policy.")
    sid = raw.get("Sid", "")
    if not isinstance(sid, str):
        raise PolicyError("Syntax errors in policy.")
    if kind == "identity" and not _SID_RE.match(sid):
        raise PolicyError(
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
            "regular expression [0-9A-Za-z]*"
        )
    if "Effect" not in raw:
        raise PolicyError("Missing required field Effect")  # unverified: exact message
    effect = raw["Effect"]
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"Invalid effect: {effect}")  # unverified: exact message
    if "Action" in raw and "NotAction" in raw:
        raise PolicyError("Syntax errors in policy.")
    if "Action" not in raw and "NotAction" not in raw:
        raise PolicyError("Policy statement must contain actions.")
    not_action = "NotAction" in raw
    actions = _strings(raw["NotAction" if not_action else "Action"])
    for action in actions:
        _check_action(action)
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyError("Syntax errors in policy.")
    if kind == "identity" and has_principal:
        raise PolicyError("Policy document should not specify a principal.")
    if kind in ("resource", "trust") and not has_principal:
        raise PolicyError("Missing required field Principal")  # unverified: exact message
    has_resource = "Resource" in raw or "NotResource" in raw
    if "Resource" in raw and "NotResource" in raw:
        raise PolicyError("Syntax errors in policy.")
    if kind == "trust" and has_resource:
        raise PolicyError("Has prohibited field Resource")  # unverified: exact message
    if kind == "identity" and not has_resource:
        raise PolicyError("Policy statement must contain resources.")
    not_resource = "NotResource" in raw
    resources: tuple[str, ...] = ()
    if has_resource:
        resources = _strings(raw["NotResource" if not_resource else "Resource"])
        for resource in resources:
            _check_resource(resource)
    principals = None
    not_principal = "NotPrincipal" in raw
    if has_principal:
        principals = _principals(raw["NotPrincipal" if not_principal else "Principal"])
    conditions = _conditions(raw["Condition"]) if "Condition" in raw else ()
    variables = version == "2012-10-17" and any("${" in r for r in resources)
    start, end = (_position(text, span[0]), _position(text, span[1])) if span else ((1, 1), (1, 1))
    return Statement(
        allow=effect == "Allow",
        actions=tuple(action_matcher(a) for a in actions),
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        has_resource=has_resource,
        principals=principals,
        not_principal=not_principal,
        conditions=conditions,
        sid=sid,
        start=start,
        end=end,
        resource_matchers=None if variables else tuple(arn_matcher(r) for r in resources),
    )


@lru_cache(maxsize=2048)
def parse_policy(text: str, kind: Kind = "identity") -> Policy:
    """Parse and validate ``text``; raises PolicyError with IAM's message."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise PolicyError("This policy contains invalid Json") from None
    if not isinstance(doc, dict):
        raise PolicyError("This policy contains invalid Json")  # unverified
    if set(doc) - _TOP_KEYS:
        raise PolicyError("Syntax errors in policy.")
    version = doc.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise PolicyError("The policy failed legacy parsing")  # unverified: exact message
    if "Statement" not in doc:
        raise PolicyError("Syntax errors in policy.")  # unverified: exact message
    raw = doc["Statement"]
    items = _list(raw)
    if not items:
        raise PolicyError("Syntax errors in policy.")  # unverified
    spans = statement_spans(text)
    if len(spans) != len(items):
        spans = []
    statements = tuple(
        _statement(item, kind, version, spans[i] if spans else None, text) for i, item in enumerate(items)
    )
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        raise PolicyError("Statement IDs (SID) in a single policy must be unique.")
    return Policy(version, statements, text)
