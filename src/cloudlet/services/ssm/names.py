"""Parameter names, hierarchies, selectors, labels and ARNs, with AWS's rules and messages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloudlet.core.arn import make_arn
from cloudlet.protocol.errors import ServiceError

MAX_LEVELS = 15
MAX_LABELS_PER_VERSION = 10
_SEGMENT = re.compile(r"^[A-Za-z0-9_.\-]+$")
_LABEL = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
_RESERVED = ("aws", "ssm")
PUBLIC_PREFIX = "/aws/"

NAME_MESSAGE = (
    'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can '
    "consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, "
    "numbers and the following 3 symbols .-_"
)
PATH_MESSAGE = (
    "The parameter doesn't meet the parameter name requirements. The parameter name must begin with "
    'a forward slash "/". It can\'t be prefixed with \\"aws\\" or \\"ssm\\" (case-insensitive). It must '
    "use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). "
    "Special characters are not allowed. All sub-paths, if specified, must use the forward slash "
    'symbol "/". Valid example: /get/parameters2-/by1./path0_.'
)
# unverified: the wording AWS uses past 15 levels.
LEVELS_MESSAGE = (
    "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and "
    "Constraints for Parameter Names in the AWS Systems Manager User Guide."
)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def _segments(name: str) -> list[str] | None:
    """The levels of a name (``/a/b`` and ``b`` alike), or None when its form is wrong."""
    if "/" not in name:
        return [name] if _SEGMENT.match(name) else None
    if not name.startswith("/"):
        return None
    parts = name[1:].split("/")
    if not all(_SEGMENT.match(p) for p in parts):
        return None
    return parts


def check_name(name: str, *, writing: bool = False) -> None:
    """AWS's ValidationException / HierarchyLevelLimitExceededException for a bad name.

    ``writing``: names under ``aws``/``ssm`` are reserved for AWS (the public parameters).
    """
    parts = _segments(name)
    if parts is None:
        raise validation(NAME_MESSAGE)
    if writing and parts[0].lower().startswith(_RESERVED):
        raise validation(NAME_MESSAGE)
    if len(parts) > MAX_LEVELS:
        raise ServiceError("HierarchyLevelLimitExceededException", LEVELS_MESSAGE, 400)


def check_path(path: str) -> str:
    """A GetParametersByPath / Path filter path, normalised without its trailing slash ('' for root)."""
    if path == "/":
        return ""
    if not path.startswith("/"):
        raise validation(PATH_MESSAGE)
    trimmed = path.rstrip("/") if path.endswith("/") and not path.endswith("//") else path
    parts = _segments(trimmed)
    if parts is None:
        raise validation(PATH_MESSAGE)
    if len(parts) > MAX_LEVELS:
        raise ServiceError("HierarchyLevelLimitExceededException", LEVELS_MESSAGE, 400)
    return trimmed


# unverified: ``/a`` and ``a`` are distinct parameters, both at the root level.
def parent_path(name: str) -> str:
    """The path a parameter sits in: ``/a/b`` for ``/a/b/c``, '' for ``/c`` and ``c``."""
    if "/" not in name:
        return ""
    return name.rsplit("/", 1)[0]


def under_path(name: str, path: str, recursive: bool) -> bool:
    """Whether ``name`` lies in ``path`` (normalised by check_path), one level or anywhere below."""
    if recursive:
        return name.startswith(path + "/") or (path == "" and "/" not in name)
    return parent_path(name) == path


def parameter_arn(region: str, account: str, name: str) -> str:
    """``arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>``."""
    return make_arn("ssm", region, account, "parameter/" + name.removeprefix("/"))


@dataclass(frozen=True)
class Reference:
    """A name as GetParameter takes it: a name or ARN, with ``:version`` or ``:label``."""

    name: str
    version: int | None = None
    label: str | None = None
    from_arn: bool = False

    @property
    def candidates(self) -> tuple[str, ...]:
        """Stored names this may mean: an ARN's ``parameter/a`` is ``a`` or ``/a``."""
        if self.from_arn and "/" not in self.name:
            return (self.name, "/" + self.name)
        return (self.name,)

    @property
    def selector(self) -> str | None:
        if self.version is not None:
            return f":{self.version}"
        if self.label is not None:
            return f":{self.label}"
        return None


def parse_reference(text: str) -> Reference:
    """Split ``name[:selector]`` or ``arn:…:parameter/name[:selector]``.

    An ARN names the parameter in it; a parameter ARN whose name has no slash is stored
    without one, otherwise with its leading slash (the ARN drops it).
    """
    name = text
    from_arn = text.startswith("arn:")
    if from_arn:
        parts = text.split(":", 6)
        if len(parts) < 6 or not parts[5].startswith("parameter/"):
            raise validation(NAME_MESSAGE)
        resource = parts[5].removeprefix("parameter")
        name = resource if "/" in resource[1:] else resource[1:]
        if len(parts) == 7:
            name = f"{name}:{parts[6]}"
    base, sep, selector = name.partition(":")
    if not sep:
        return Reference(base, from_arn=from_arn)
    if not selector or ":" in selector:
        raise validation(NAME_MESSAGE)  # unverified: the error for a malformed selector
    if selector.isdigit():
        return Reference(base, version=int(selector), from_arn=from_arn)
    return Reference(base, label=selector, from_arn=from_arn)


def label_is_valid(label: str) -> bool:
    """Labels: letters, digits, ``.-_``, up to 100 characters, not starting with a digit, ``aws`` or ``ssm``."""
    if not _LABEL.match(label) or label[0].isdigit():
        return False
    return not label.lower().startswith(_RESERVED)
