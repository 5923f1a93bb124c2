"""The ValidationException shapes expression handling raises."""

from __future__ import annotations

import base64

from cloudlet.protocol.errors import ServiceError


def invalid(message: str) -> ServiceError:
    """A ValidationException with AWS's message."""
    return ServiceError("ValidationException", message, 400)


def invalid_param(message: str) -> ServiceError:
    """The ``One or more parameter values were invalid`` family."""
    return invalid("One or more parameter values were invalid: " + message)


def expression_error(kind: str, message: str) -> ServiceError:
    """An error about one expression, prefixed with its parameter (``Invalid UpdateExpression: ...``)."""
    return invalid(f"Invalid {kind}: {message}")


def format_path(elements: tuple) -> str:
    """A document path as AWS prints it: ``[a, b, [1]]``."""
    return "[" + ", ".join(f"[{e}]" if isinstance(e, int) else e for e in elements) + "]"


def format_value(value: dict) -> str:
    """An AttributeValue as AWS prints it in messages: ``AttributeValue: {N:1}``."""
    ((tag, inner),) = value.items()
    if tag == "B":
        inner = base64.b64encode(inner).decode()
    return f"AttributeValue: {{{tag}:{inner}}}"
