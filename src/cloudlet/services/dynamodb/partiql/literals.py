"""PartiQL literals (strings, numbers, booleans, null, maps, lists, sets, ``?``) as AttributeValues."""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.partiql import errors
from cloudlet.services.dynamodb.partiql.ast import Call, Literal, Missing, Path
from cloudlet.services.dynamodb.partiql.lexer import Token
from cloudlet.services.dynamodb.values import number_text, to_decimal, validate_value, value_type

_INT32 = range(-(2**31), 2**31)


@dataclass(frozen=True)
class Scalar:
    """A scalar as written: ``kind`` N (text), S, BOOL, NULL, or AV for a bound parameter."""

    kind: str
    value: object
    token: Token = field(compare=False, repr=False)


@dataclass(frozen=True)
class MapLiteral:
    entries: tuple[tuple[object, object], ...]
    token: Token = field(compare=False, repr=False)


@dataclass(frozen=True)
class ListLiteral:
    items: tuple[object, ...]
    token: Token = field(compare=False, repr=False)


@dataclass(frozen=True)
class BagLiteral:
    items: tuple[object, ...]
    token: Token = field(compare=False, repr=False)


def number(text: str, where: str) -> dict:
    """An N value from a number literal, refused as AWS does; ``where`` names it in messages."""
    mantissa, _, exponent_text = text.lower().partition("e")
    exponent = int(exponent_text) if exponent_text else 0
    scale = len(mantissa.partition(".")[2]) - exponent
    if exponent not in _INT32 or scale not in _INT32:
        raise errors.malformed()
    try:
        return {"N": number_text(to_decimal(text))}
    except ServiceError as error:
        raise errors.invalid(f"{error.message} under {where}") from None


def to_value(node: object, where: str = "root") -> dict:
    """The AttributeValue of a literal; a path or call inside one is refused."""
    if isinstance(node, Scalar):
        if node.kind == "N":
            return number(node.value, where)  # type: ignore[arg-type]
        if node.kind == "AV":
            return node.value  # type: ignore[return-value]
        return {node.kind: node.value}
    if isinstance(node, MapLiteral):
        return {"M": _map(node, where)}
    if isinstance(node, ListLiteral):
        return {"L": [to_value(item, f"{where}[{i}]") for i, item in enumerate(node.items)]}
    if isinstance(node, BagLiteral):
        return _bag(node, where)
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Path):
        raise errors.at(errors.UNSUPPORTED_DATA_TYPE.format(node, where), node.token)
    if isinstance(node, Call):
        raise errors.at(errors.UNSUPPORTED_DATA_TYPE.format(node.name, where), node.token)
    if isinstance(node, Missing):
        raise errors.invalid(errors.MISSING_LITERAL)
    raise errors.malformed(errors.UNEXPECTED_TERM)


def struct(node: MapLiteral) -> dict:
    """An item from a map literal: each attribute's value is its own ``root`` in messages."""
    return {name: to_value(value) for name, value in _entries(node, "root")}


def _entries(node: MapLiteral, where: str) -> list[tuple[str, object]]:
    seen: set[str] = set()
    entries = []
    for key_node, value in node.entries:
        key = to_value(key_node, where)
        if value_type(key) != "S":
            raise errors.invalid(errors.TUPLE_KEY_TYPE.format(value_type(key), where))
        name = key["S"]
        if name in seen:
            raise errors.invalid(errors.DUPLICATE_TUPLE_KEY.format(name, where))
        seen.add(name)
        entries.append((name, value))
    return entries


def _map(node: MapLiteral, where: str) -> dict:
    return {name: to_value(value, f"{where}.{name}") for name, value in _entries(node, where)}


def _bag(node: BagLiteral, where: str) -> dict:
    if not node.items:
        raise errors.invalid(errors.EMPTY_BAG)
    values = [to_value(item, where) for item in node.items]
    kinds = {value_type(v) for v in values}
    if kinds == {"S"}:
        return validate_value({"SS": [v["S"] for v in values]})
    if kinds == {"N"}:
        return validate_value({"NS": [v["N"] for v in values]})
    raise errors.invalid(errors.BAG_TYPES)
