"""TestState's check of a mocked Task result against the integration's API output shape.

``fieldValidationMode`` STRICT (the default) wants every required member and every present
member of the right type; PRESENT checks only the members present; NONE nothing. Members are
named as the integrations name them (the model's names with a capital first letter); a name the
shape does not have is not checked. Only request-response integrations (optimized and
``aws-sdk``) have a shape here: a Lambda function ARN, HTTP Tasks, ``.sync`` and
``.waitForTaskToken`` answers are not checked (# unverified: what AWS checks for those).
Messages are AWS's where recorded (``v2/test_state/test_field_validation_mode*``).
"""

from __future__ import annotations

from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.model import Shape
from cloudlet.services.stepfunctions.engine import integrations

_NUMBERS = frozenset({"integer", "long", "float", "double"})
_TEXTS = frozenset({"string", "blob", "timestamp"})
# members an integration gives as JSON rather than as the model's type
_JSON_MEMBERS = {("lambda", "Invoke"): frozenset({"Payload"})}


def _fail(text: str) -> ServiceError:
    return ServiceError("ValidationException", f"Mock result schema validation error: {text}", 400)


def output_shape(resource: str) -> tuple[Shape, frozenset[str]] | None:
    """The output shape of a Task's ``Resource`` and the members not to check (None: no shape)."""
    from cloudlet.gateway import internal

    parts = resource.split(":")
    if len(parts) < 7 or parts[2] != "states" or parts[5] == "activity":
        return None
    if parts[5] == "aws-sdk" and len(parts) >= 8:
        service, action = integrations.SDK_SERVICES.get(parts[6], parts[6]), parts[7]
    elif parts[5] == "lambda":
        service, action = "lambda", parts[6]
    elif parts[5] in integrations.OPTIMIZED:
        service, action = integrations.OPTIMIZED[parts[5]].service, parts[6]
    else:
        return None
    if "." in action:  # .sync / .waitForTaskToken: the answer is not the call's output
        return None
    name = integrations.operation_name(action)
    op = internal.operation(service, name)
    if op is None or op.output is None:
        return None
    return op.output, _JSON_MEMBERS.get((service, name), frozenset())


def check(resource: str, result: Any, mode: str | None) -> None:
    """Raise AWS's ValidationException when ``result`` does not fit ``resource``'s output."""
    mode = mode or "STRICT"
    if mode == "NONE":
        return
    found = output_shape(resource)
    if found is None or not isinstance(result, dict):
        return
    shape, skipped = found
    _structure(shape, result, mode == "STRICT", skipped)


def _name(member: str) -> str:
    return member[:1].upper() + member[1:]


def _structure(
    shape: Shape, value: dict[str, Any], strict: bool, skipped: frozenset[str] = frozenset()
) -> None:
    members = {_name(k): v for k, v in shape.members.items()}
    if strict:
        for required in shape.required:
            if _name(required) not in value:
                raise _fail(f"Required field '{_name(required)}' is missing")
    for name, member in members.items():
        if name in value and name not in skipped:
            _value(name, member, value[name], strict)


def _value(name: str, shape: Shape, value: Any, strict: bool) -> None:
    kind = shape.type
    if value is None:
        return  # unverified: a null member
    if kind == "structure":
        if not isinstance(value, dict):
            raise _fail(f"Field '{name}' must be an object")  # unverified
        if not shape.is_document:
            _structure(shape, value, strict)
    elif kind == "list":
        if not isinstance(value, list):
            raise _fail(f"Field '{name}' must be an array")
        for item in value:
            _value(name, shape.member, item, strict)
    elif kind == "map":
        if not isinstance(value, dict):
            raise _fail(f"Field '{name}' must be an object")  # unverified
        for item in value.values():
            _value(name, shape.value, item, strict)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise _fail(f"Field '{name}' must be a boolean")  # unverified
    elif kind in _NUMBERS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(f"Field '{name}' must be a number")
        _bounds(name, shape, value)
    elif kind in _TEXTS:
        if not isinstance(value, str):
            raise _fail(f"Field '{name}' must be a string")
        if kind != "timestamp":
            _lengths(name, shape, value)
        if shape.enum and value not in shape.enum:
            raise _fail(f"Field '{name}' is not an expected value")


def _bounds(name: str, shape: Shape, value: float) -> None:
    low, high = shape.defn.get("min"), shape.defn.get("max")
    if low is not None and value < low:
        raise _fail(f"Field '{name}' is less than the minimum value")
    if high is not None and value > high:
        raise _fail(f"Field '{name}' exceeds the maximum value")


def _lengths(name: str, shape: Shape, value: str) -> None:
    low, high = shape.defn.get("min"), shape.defn.get("max")
    if low is not None and len(value) < low:
        raise _fail(f"Field '{name}' is smaller than the minimum length")
    if high is not None and len(value) > high:
        raise _fail(f"Field '{name}' is larger than the maximum length")  # unverified
