"""Statements and expressions as the parser builds them."""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudlet.services.dynamodb.partiql.lexer import Token

Step = str | int


@dataclass(frozen=True)
class Path:
    """An attribute and the map keys (str) and list indexes (int) below it."""

    steps: tuple[Step, ...]
    token: Token = field(compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.steps[0]  # type: ignore[return-value]

    def __str__(self) -> str:
        text = str(self.steps[0])
        for step in self.steps[1:]:
            text += f"[{step}]" if isinstance(step, int) else f".{step}"
        return text


@dataclass(frozen=True)
class Literal:
    """A constant or bound ``?`` parameter, as an AttributeValue."""

    value: dict
    token: Token = field(compare=False, repr=False)


@dataclass(frozen=True)
class Missing:
    """The ``MISSING`` keyword where a value stands (only ``IS MISSING`` accepts it)."""

    token: Token = field(compare=False, repr=False)


@dataclass(frozen=True)
class Compare:
    """``left op right`` with op one of ``= <> != < <= > >=``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Between:
    operand: Expr
    low: Expr
    high: Expr


@dataclass(frozen=True)
class In:
    operand: Expr
    options: tuple[Expr, ...]


@dataclass(frozen=True)
class Logical:
    """``left AND right`` or ``left OR right``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class Is:
    """``operand IS [NOT] type`` where type is MISSING, NULL, BOOLEAN, STRING, NUMERIC, ..."""

    operand: Expr
    type_name: str
    negated: bool


@dataclass(frozen=True)
class Call:
    """A function call; ``name`` is lower case."""

    name: str
    args: tuple[Expr, ...]
    token: Token = field(compare=False, repr=False)


@dataclass(frozen=True)
class Arith:
    """``left op right`` with op ``+ - * / %`` (DynamoDB evaluates + and - only)."""

    op: str
    left: Expr
    right: Expr


Expr = Path | Literal | Missing | Compare | Between | In | Logical | Not | Is | Call | Arith


@dataclass(frozen=True)
class Select:
    """``SELECT projection FROM table[.index] [WHERE ...] [ORDER BY ...]``; projection None is ``*``."""

    table: str
    index: str | None
    projection: list[Path] | None
    where: Expr | None
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (attribute, descending)


@dataclass(frozen=True)
class Insert:
    """``INSERT INTO table VALUE {...}``."""

    table: str
    item: dict


@dataclass(frozen=True)
class SetAction:
    path: Path
    value: Expr


@dataclass(frozen=True)
class RemoveAction:
    path: Path


@dataclass(frozen=True)
class Update:
    """``UPDATE table SET/REMOVE ... WHERE ... [RETURNING ...]``; returning as written, e.g. ``ALL NEW``."""

    table: str
    actions: list[SetAction | RemoveAction]
    where: Expr
    returning: str | None = None


@dataclass(frozen=True)
class Delete:
    """``DELETE FROM table WHERE ... [RETURNING ALL OLD *]``."""

    table: str
    where: Expr
    returning: str | None = None


@dataclass(frozen=True)
class Exists:
    """``EXISTS(SELECT ...)``: a condition check inside ExecuteTransaction."""

    select: Select


Statement = Select | Insert | Update | Delete | Exists
