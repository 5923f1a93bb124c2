"""DynamoDB AttributeValues: validation, canonical numbers, equality, ordering, sizes.

Values are the parsed wire dicts (``{"S": str}``, ``{"N": str}``, ``{"B": bytes}``,
``{"SS": [...]}``, ``{"M": {...}}``, ``{"L": [...]}``, ``{"NULL": True}``, ``{"BOOL": b}``).
Nothing here mutates its input.
"""

from __future__ import annotations

import base64
import re
from decimal import Context, Decimal, localcontext

from cloudlet.protocol.errors import ServiceError

__all__ = [
    "arith",
    "compare",
    "item_size",
    "key_bytes",
    "number_text",
    "to_decimal",
    "validate_item",
    "validate_value",
    "value_size",
    "value_type",
    "values_equal",
]

TYPES = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})
MAX_DEPTH = 32
MAX_DIGITS = 38
_MAX_MAGNITUDE = Decimal("9.9999999999999999999999999999999999999E+125")
_MIN_MAGNITUDE = Decimal("1E-130")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
# Wide enough for an exact sum of any two valid numbers (exponents span -130..125).
_EXACT = Context(prec=400)

# AWS's messages for empty sets (the double spaces are AWS's).
_EMPTY_SET = {
    "SS": "An string set  may not be empty",
    "NS": "An number set  may not be empty",
    "BS": "Binary sets should not be empty",
}


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def _invalid_param(message: str) -> ServiceError:
    return _invalid("One or more parameter values were invalid: " + message)


# ---------------------------------------------------------------- numbers


def _check_range(value: Decimal) -> Decimal:
    """Apply DynamoDB's magnitude and precision limits to a finite number."""
    if not value:
        return value
    magnitude = value.copy_abs()
    if magnitude > _MAX_MAGNITUDE:
        raise _invalid(
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        )
    if magnitude < _MIN_MAGNITUDE:
        raise _invalid(
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        )
    if len(value.normalize(_EXACT).as_tuple().digits) > MAX_DIGITS:
        raise _invalid("Attempting to store more than 38 significant digits in a Number")
    return value


def to_decimal(text: str) -> Decimal:
    """Parse a DynamoDB number (no surrounding whitespace, no NaN/Infinity) within AWS's limits."""
    if not text:
        raise _invalid("The parameter cannot be converted to a numeric value")
    if not _NUMBER_RE.match(text):
        raise _invalid(f"The parameter cannot be converted to a numeric value: {text}")
    return _check_range(Decimal(text))


def number_text(value: Decimal) -> str:
    """Canonical text: plain notation, no trailing fraction zeros, no leading zeros, no "-0"."""
    if not value:
        return "0"
    return format(value.normalize(_EXACT), "f")


def arith(op: str, a: Decimal, b: Decimal) -> Decimal:
    """``a + b`` or ``a - b`` exactly, refused when the result leaves DynamoDB's number range."""
    with localcontext(_EXACT):
        result = a + b if op == "+" else a - b
    return _check_range(result)


def _canonical_number(text: str) -> str:
    return number_text(to_decimal(text))


# ---------------------------------------------------------------- validation


def value_type(value: dict) -> str:
    """The one type tag of a (valid) AttributeValue."""
    for tag in value:
        return tag
    raise _invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")


def _render(tag: str, element: object) -> str:
    if tag == "BS":
        return base64.b64encode(element).decode()
    return str(element)


def _validate_set(tag: str, elements: list) -> list:
    if not elements:
        raise _invalid_param(_EMPTY_SET[tag])
    normalized = [_canonical_number(e) for e in elements] if tag == "NS" else list(elements)
    if len(set(normalized)) != len(normalized):
        if tag == "NS":
            raise _invalid("Input collection contains duplicates")
        shown = ", ".join(_render(tag, e) for e in elements)
        suffix = "of type BS" if tag == "BS" else ""
        raise _invalid_param(f"Input collection [{shown}]{suffix} contains duplicates.")
    return normalized


def _validate(value: object, depth: int, key: bool, name: str) -> dict:
    if not isinstance(value, dict) or not value:
        raise _invalid(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        )
    if len(value) > 1:
        raise _invalid(
            "Supplied AttributeValue has more than one datatypes set, "
            "must contain exactly one of the supported datatypes"
        )
    if depth > MAX_DEPTH:
        raise _invalid(
            "Nesting Levels have exceeded supported limits: "
            "Attributes in the item have nested levels beyond supported limit"
        )
    ((tag, inner),) = value.items()
    if tag == "S" or tag == "B":
        if key and not inner:
            kind = "string" if tag == "S" else "binary"
            raise _invalid(
                "One or more parameter values are not valid. "
                f"The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {name}"
            )
        return {tag: inner}
    if tag == "N":
        return {"N": _canonical_number(inner)}
    if tag in _EMPTY_SET:
        return {tag: _validate_set(tag, inner)}
    if tag == "M":
        return {"M": {k: _validate(v, depth + 1, False, k) for k, v in inner.items()}}
    if tag == "L":
        return {"L": [_validate(v, depth + 1, False, name) for v in inner]}
    if tag == "NULL":
        return {"NULL": True}  # AWS now accepts NULL: false and stores NULL: true
    if tag == "BOOL":
        return {"BOOL": bool(inner)}
    raise _invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")


def validate_value(value: dict, *, key: bool = False, name: str = "") -> dict:
    """Check one AttributeValue and return a normalized copy (canonical numbers).

    ``key`` refuses empty S/B as AWS does for key attributes; ``name`` is the
    attribute's name used in that message.
    """
    return _validate(value, 1, key, name)


def validate_item(item: dict) -> dict:
    """Check every attribute of an item and return a normalized copy."""
    return {name: _validate(value, 1, False, name) for name, value in item.items()}


# ---------------------------------------------------------------- equality and order


def _number_set(texts: list[str]) -> set[Decimal]:
    return {Decimal(t) for t in texts}


def values_equal(a: dict, b: dict) -> bool:
    """DynamoDB equality: numbers numerically, sets unordered, maps and lists deep."""
    ((ta, va),) = a.items()
    ((tb, vb),) = b.items()
    if ta != tb:
        return False
    if ta == "N":
        return va == vb or Decimal(va) == Decimal(vb)
    if ta == "NS":
        return _number_set(va) == _number_set(vb)
    if ta == "SS" or ta == "BS":
        return set(va) == set(vb)
    if ta == "M":
        return va.keys() == vb.keys() and all(values_equal(v, vb[k]) for k, v in va.items())
    if ta == "L":
        return len(va) == len(vb) and all(values_equal(x, y) for x, y in zip(va, vb, strict=True))
    return va == vb


def compare(a: dict, b: dict) -> int | None:
    """Order two scalar values of one type (S by UTF-8, N numerically, B unsigned); None otherwise."""
    ((ta, va),) = a.items()
    ((tb, vb),) = b.items()
    if ta != tb:
        return None
    if ta == "N":
        x, y = Decimal(va), Decimal(vb)
    elif ta == "S" or ta == "B":
        # Code-point order of str equals UTF-8 byte order; bytes compare unsigned.
        x, y = va, vb
    else:
        return None
    return (x > y) - (x < y)


# ---------------------------------------------------------------- sizes


def _number_size(text: str) -> int:
    # Base-100 digit pairs aligned on the decimal point, one exponent byte, one more
    # when negative; zero is a lone byte.
    sign, digits, exponent = Decimal(text).normalize(_EXACT).as_tuple()
    if not any(digits):
        return 1
    point = len(digits) + exponent
    pairs = (len(digits) + point % 2 + 1) // 2
    return 1 + pairs + sign


def value_size(value: dict) -> int:
    """Bytes DynamoDB counts for a value (without its attribute name)."""
    ((tag, inner),) = value.items()
    if tag == "S":
        return len(inner.encode("utf-8"))
    if tag == "B":
        return len(inner)
    if tag == "N":
        return _number_size(inner)
    if tag == "SS":
        return sum(len(s.encode("utf-8")) for s in inner)
    if tag == "BS":
        return sum(len(b) for b in inner)
    if tag == "NS":
        return sum(_number_size(n) for n in inner)
    if tag == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in inner.items())
    if tag == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    return 1


def item_size(item: dict) -> int:
    """Bytes DynamoDB counts for an item: names plus values."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


# ---------------------------------------------------------------- key encoding


def _number_key(text: str) -> bytes:
    sign, digits, exponent = Decimal(text).normalize(_EXACT).as_tuple()
    if not any(digits):
        return b"\x01"
    # Scientific exponent of a valid number lies in -130..125, so +130 fits one byte.
    scale = len(digits) + exponent - 1 + 130
    if sign:
        return b"\x00" + bytes([255 - scale]) + bytes(9 - d for d in digits) + b"\xff"
    return b"\x02" + bytes([scale]) + bytes(digits)


def key_bytes(value: dict) -> bytes:
    """Order-preserving bytes of an S, N or B key value (memcmp order equals ``compare``)."""
    ((tag, inner),) = value.items()
    if tag == "S":
        return inner.encode("utf-8")
    if tag == "N":
        return _number_key(inner)
    return bytes(inner)
