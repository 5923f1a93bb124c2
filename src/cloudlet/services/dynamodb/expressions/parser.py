"""Recursive-descent parser for condition, projection and update expressions.

Syntax errors are raised at once, as AWS does. Other problems are collected while
parsing and the one of highest precedence is raised when the parse ends, so the
message matches AWS's when an expression has several. AWS's order: redundant
parentheses, function names, function placement, reserved words, repeated sections,
ADD/DELETE operand types, overlapping paths, conflicting paths, then (first in reading order, operands before
their operator) undefined placeholders, path shape and operand errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.values import TYPES, compare

from .ast import (
    AddAction,
    And,
    Arith,
    Between,
    Compare,
    DeleteAction,
    Function,
    IfNotExists,
    In,
    ListAppend,
    Not,
    Or,
    Path,
    RemoveAction,
    SetAction,
    Size,
    Update,
    Value,
)
from .errors import expression_error, format_path, format_value
from .lexer import EOF, NAME, NUMBER, PLACEHOLDER_NAME, PLACEHOLDER_VALUE, PUNCT, near, tokenize
from .names import ExpressionContext
from .reserved import RESERVED_WORDS

MAX_EXPRESSION_BYTES = 4096
MAX_PATH_DEPTH = 32
MAX_IN_OPERANDS = 100
MAX_OPERATORS = 300
MAX_LIST_INDEX = 2**31 - 1

CONDITION_FUNCTIONS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
}
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
ORDERING = frozenset({"<", "<=", ">", ">="})
SCALAR_TYPES = frozenset({"N", "S", "B"})
SET_TYPES = frozenset({"SS", "NS", "BS"})
TYPE_WORDS = {
    "S": "STRING",
    "N": "NUMBER",
    "B": "BINARY",
    "BOOL": "BOOLEAN",
    "NULL": "NULL",
    "M": "MAP",
    "L": "LIST",
}
CLAUSES = frozenset({"SET", "REMOVE", "ADD", "DELETE"})
CONDITION_KEYWORDS = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN"})
VALID_TYPE_NAMES = "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
# What AWS reports as the type of a document path where a value of one type is required.
PATH_TYPES = (
    "{S,SS,N,NS,B,BS,BOOL,NULL,L,M,HD,DOUBLE,FLOAT,HDS,FS,DOUBLESET,DICT,DECIMAL,INT,DECIMALSET,INTSET}"
)

# Precedence of the errors collected during a parse (lowest first).
REDUNDANT, FUNCTION_NAME, FUNCTION_PLACE, RESERVED, SECTION, ACTION_TYPE, OVERLAP, CONFLICT, OPERAND = range(
    9
)

_CONDITION_NODES = (Compare, Between, In, Function, And, Or, Not)


def _static_type(node: object) -> str | None:
    """The type an operand is known to have before evaluation, if any."""
    if isinstance(node, Value):
        return next(iter(node.value), None)
    if isinstance(node, (Size, Arith)):
        return "N"
    if isinstance(node, ListAppend):
        return "L"
    return None


def _misused(name: str) -> str:
    return f"The function is not allowed to be used this way in an expression; function: {name}"


def _operand_type(op: str, type_name: str) -> str:
    return f"Incorrect operand type for operator or function; operator or function: {op}, operand type: {type_name}"


def _requires_path(name: str) -> str:
    return f"Operator or function requires a document path; operator or function: {name}"


class Parser:
    """One parse of one expression against a request's ExpressionContext."""

    def __init__(self, text: str, ctx: ExpressionContext, kind: str, keywords: frozenset[str]) -> None:
        if not text.strip():
            raise expression_error(kind, "The expression can not be empty;")
        size = len(text.encode("utf-8"))
        if size > MAX_EXPRESSION_BYTES:
            detail = (
                f" expression size: {size}" if kind in ("ConditionExpression", "FilterExpression") else ""
            )
            raise expression_error(kind, "Expression size has exceeded the maximum allowed size;" + detail)
        self.text = text
        self.ctx = ctx
        self.kind = kind
        self.keywords = keywords
        self.tokens = tokenize(text)
        self.pos = 0
        self.errors: dict[int, str] = {}
        self.parenthesized: set[int] = set()
        self.operators = 0
        self.names_used: set[str] = set()
        self.values_used: set[str] = set()

    # ------------------------------------------------------------ plumbing

    def fail(self, priority: int, message: str) -> None:
        """Record an error; the first of each kind wins, the highest kind is raised at the end."""
        self.errors.setdefault(priority, message)

    def finish(self) -> None:
        """Raise the collected error of highest precedence, if any."""
        if self.errors:
            raise expression_error(self.kind, self.errors[min(self.errors)])

    def syntax_error(self) -> ServiceError:
        """AWS's syntax error at the current token."""
        token = self.tokens[self.pos]
        return expression_error(
            self.kind,
            f'Syntax error; token: "{token.text}", near: "{near(self.text, self.tokens, self.pos)}"',
        )

    def at_punct(self, text: str) -> bool:
        token = self.tokens[self.pos]
        return token.kind == PUNCT and token.text == text

    def at_keyword(self, word: str) -> bool:
        token = self.tokens[self.pos]
        return token.kind == NAME and token.text.upper() == word

    def expect_punct(self, text: str) -> None:
        if not self.at_punct(text):
            raise self.syntax_error()
        self.pos += 1

    def expect_end(self) -> None:
        if self.tokens[self.pos].kind != EOF:
            raise self.syntax_error()

    def count_operator(self) -> None:
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            self.fail(
                OPERAND, f"The expression contains too many operators; operator count: {self.operators}"
            )

    def is_call(self) -> bool:
        token = self.tokens[self.pos]
        if token.kind != NAME:
            return False
        following = self.tokens[self.pos + 1]
        return following.kind == PUNCT and following.text == "("

    # ------------------------------------------------------------ paths and values

    def path(self) -> Path:
        elements: list[str | int] = [self.path_name()]
        while True:
            if self.at_punct("."):
                self.pos += 1
                elements.append(self.path_name())
            elif self.at_punct("["):
                self.pos += 1
                token = self.tokens[self.pos]
                if token.kind != NUMBER:
                    raise self.syntax_error()
                self.pos += 1
                self.expect_punct("]")
                if len(token.text) > 10 or int(token.text) > MAX_LIST_INDEX:
                    self.fail(OPERAND, f"List index is not within the allowable range; index: [{token.text}]")
                elements.append(int(token.text))
            else:
                break
        if len(elements) > MAX_PATH_DEPTH:
            self.fail(
                OPERAND, f"The document path has too many nesting levels; nesting levels: {len(elements)}"
            )
        return Path(tuple(elements))

    def path_name(self) -> str:
        token = self.tokens[self.pos]
        if token.kind == PLACEHOLDER_NAME:
            self.pos += 1
            name = self.ctx.name(token.text)
            if name is None:
                self.fail(
                    OPERAND,
                    "An expression attribute name used in the document path is not defined; "
                    f"attribute name: {token.text}",
                )
                return token.text
            self.names_used.add(token.text)
            return name
        if token.kind != NAME or token.text.upper() in self.keywords:
            raise self.syntax_error()
        self.pos += 1
        if token.text.upper() in RESERVED_WORDS:
            self.fail(RESERVED, f"Attribute name is a reserved keyword; reserved keyword: {token.text}")
        return token.text

    def value(self) -> Value:
        token = self.tokens[self.pos]
        self.pos += 1
        value = self.ctx.value(token.text)
        if value is None:
            self.fail(
                OPERAND,
                f"An expression attribute value used in expression is not defined; attribute value: {token.text}",
            )
            return Value({})
        self.values_used.add(token.text)
        return Value(value)

    def check_paths(self, paths: list[tuple]) -> None:
        """Refuse two paths where one contains the other (overlap) or they disagree on a map vs a list."""
        for index, second in enumerate(paths):
            for first in paths[:index]:
                for a, b in zip(first, second, strict=False):
                    if type(a) is not type(b):
                        self.fail(
                            CONFLICT,
                            "Two document paths conflict with each other; must remove or rewrite one of "
                            f"these paths; path one: {format_path(first)}, path two: {format_path(second)}",
                        )
                        break
                    if a != b:
                        break
                else:
                    self.fail(
                        OVERLAP,
                        "Two document paths overlap with each other; must remove or rewrite one of "
                        f"these paths; path one: {format_path(first)}, path two: {format_path(second)}",
                    )

    # ------------------------------------------------------------ conditions

    def condition(self) -> object:
        """A whole condition expression."""
        node = self.disjunction(allow_operand=False)
        self.expect_end()
        return node

    def disjunction(self, allow_operand: bool) -> object:
        left = self.conjunction(allow_operand)
        while self.at_keyword("OR"):
            self.require_condition(left)
            self.pos += 1
            self.count_operator()
            left = Or(left, self.conjunction(allow_operand=False))
        return left

    def conjunction(self, allow_operand: bool) -> object:
        left = self.negation(allow_operand)
        while self.at_keyword("AND"):
            self.require_condition(left)
            self.pos += 1
            self.count_operator()
            left = And(left, self.negation(allow_operand=False))
        return left

    def negation(self, allow_operand: bool) -> object:
        if self.at_keyword("NOT"):
            self.pos += 1
            self.count_operator()
            return Not(self.negation(allow_operand=False))
        return self.predicate(allow_operand)

    def require_condition(self, node: object) -> None:
        """``node`` stands where a condition must: a bare operand there is a syntax error."""
        if isinstance(node, Size):
            self.fail(FUNCTION_PLACE, _misused("size"))
        elif not isinstance(node, _CONDITION_NODES):
            raise self.syntax_error()

    def as_operand(self, node: object) -> None:
        """``node`` stands where an operand must: a boolean function there is misused."""
        if isinstance(node, Function):
            if node.name in CONDITION_FUNCTIONS:
                self.fail(FUNCTION_PLACE, _misused(node.name))
        elif isinstance(node, _CONDITION_NODES):
            raise self.syntax_error()

    def predicate(self, allow_operand: bool) -> object:
        left = self.primary()
        token = self.tokens[self.pos]
        if token.kind == PUNCT and token.text in COMPARATORS:
            self.as_operand(left)
            self.pos += 1
            self.count_operator()
            right = self.primary()
            self.as_operand(right)
            node = Compare(token.text, left, right)
            self.check_compare(node)
            return node
        if self.at_keyword("BETWEEN"):
            self.as_operand(left)
            self.pos += 1
            self.count_operator()
            low = self.primary()
            self.as_operand(low)
            if not self.at_keyword("AND"):
                raise self.syntax_error()
            self.pos += 1
            high = self.primary()
            self.as_operand(high)
            between = Between(left, low, high)
            self.check_between(between)
            return between
        if self.at_keyword("IN"):
            self.as_operand(left)
            self.pos += 1
            self.count_operator()
            self.expect_punct("(")
            candidates = [self.primary()]
            self.as_operand(candidates[0])
            while self.at_punct(","):
                self.pos += 1
                candidates.append(self.primary())
                self.as_operand(candidates[-1])
            self.expect_punct(")")
            node_in = In(left, tuple(candidates))
            self.check_in(node_in)
            return node_in
        if isinstance(left, _CONDITION_NODES) or allow_operand:
            return left
        self.require_condition(left)
        return left

    def primary(self) -> object:
        token = self.tokens[self.pos]
        if token.kind == PUNCT and token.text == "(":
            self.pos += 1
            inner = self.disjunction(allow_operand=True)
            self.expect_punct(")")
            self.mark_parenthesized(inner)
            return inner
        if self.is_call():
            return self.condition_call()
        if token.kind in (NAME, PLACEHOLDER_NAME):
            return self.path()
        if token.kind == PLACEHOLDER_VALUE:
            return self.value()
        raise self.syntax_error()

    def mark_parenthesized(self, node: object) -> None:
        if id(node) in self.parenthesized:
            self.fail(REDUNDANT, "The expression has redundant parentheses;")
        self.parenthesized.add(id(node))

    def call_args(self, parse_arg: Callable[[], object]) -> list:
        self.pos += 2  # name and "("
        args = []
        if not self.at_punct(")"):
            args.append(parse_arg())
            while self.at_punct(","):
                self.pos += 1
                args.append(parse_arg())
        self.expect_punct(")")
        self.count_operator()
        return args

    def condition_call(self) -> object:
        name = self.tokens[self.pos].text
        args = self.call_args(self.primary)
        for arg in args:
            self.as_operand(arg)
        if name == "size":
            return self.size(args)
        if name not in CONDITION_FUNCTIONS:
            if name in UPDATE_FUNCTIONS:
                self.fail(
                    FUNCTION_PLACE, f"The function is not allowed in a condition expression; function: {name}"
                )
            else:
                self.fail(FUNCTION_NAME, f"Invalid function name; function: {name}")
            return Function(name, tuple(args))
        function = Function(name, tuple(args))
        self.check_function(function)
        return function

    def size(self, args: list) -> Size:
        if len(args) != 1:
            self.operand_count("size", len(args))
            return Size(Value({}))
        operand = args[0]
        type_name = _static_type(operand)
        if type_name in ("N", "BOOL", "NULL"):
            self.fail(OPERAND, _operand_type("size", type_name))
        return Size(operand)

    # ------------------------------------------------------------ condition checks

    def operand_count(self, name: str, count: int) -> None:
        self.fail(
            OPERAND,
            f"Incorrect number of operands for operator or function; operator or function: {name}, "
            f"number of operands: {count}",
        )

    def check_distinct(self, op: str, first: object, rest: tuple | list) -> None:
        if isinstance(first, Path) and any(
            isinstance(o, Path) and o.elements == first.elements for o in rest
        ):
            self.fail(
                OPERAND,
                "The first operand must be distinct from the remaining operands for this operator or function; "
                f"operator: {op}, first operand: {format_path(first.elements)}",
            )

    def check_orderable(self, op: str, operands: tuple) -> None:
        for operand in operands:
            type_name = _static_type(operand)
            if type_name is not None and type_name not in SCALAR_TYPES:
                self.fail(OPERAND, _operand_type(op, type_name))

    def check_compare(self, node: Compare) -> None:
        self.check_distinct(node.op, node.left, (node.right,))
        if node.op in ORDERING:
            self.check_orderable(node.op, (node.left, node.right))

    def check_between(self, node: Between) -> None:
        self.check_distinct("BETWEEN", node.operand, (node.low, node.high))
        self.check_orderable("BETWEEN", (node.operand, node.low, node.high))
        low, high = node.low, node.high
        if isinstance(low, Value) and isinstance(high, Value) and low.value and high.value:
            bounds = f"lower bound operand: {format_value(low.value)}, upper bound operand: {format_value(high.value)}"
            if next(iter(low.value)) != next(iter(high.value)):
                self.fail(
                    OPERAND,
                    f"The BETWEEN operator requires same data type for lower and upper bounds; {bounds}",
                )
            elif (compare(low.value, high.value) or 0) > 0:
                self.fail(
                    OPERAND,
                    "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
                    + bounds,
                )

    def check_in(self, node: In) -> None:
        if len(node.candidates) > MAX_IN_OPERANDS:
            self.fail(
                OPERAND,
                f"The IN operator is provided with too many operands; number of operands: {len(node.candidates)}",
            )
        self.check_distinct("IN", node.operand, node.candidates)

    def check_function(self, node: Function) -> None:
        name, args = node.name, node.args
        if len(args) != CONDITION_FUNCTIONS[name]:
            self.operand_count(name, len(args))
            return
        if name in ("attribute_exists", "attribute_not_exists", "attribute_type") and not isinstance(
            args[0], Path
        ):
            self.fail(OPERAND, _requires_path(name))
            return
        if name in ("attribute_exists", "attribute_not_exists"):
            return
        self.check_distinct(name, args[0], args[1:])
        if name == "attribute_type":
            self.check_type_name(args[1])
        elif name == "begins_with":
            for arg in args:
                type_name = _static_type(arg)
                if type_name is not None and type_name not in ("S", "B"):
                    self.fail(OPERAND, _operand_type(name, type_name))

    def check_type_name(self, operand: object) -> None:
        """attribute_type's second operand: a value naming a type."""
        if not isinstance(operand, Value):
            self.fail(OPERAND, _operand_type("attribute_type", _static_type(operand) or PATH_TYPES))
        elif operand.value and "S" not in operand.value:
            self.fail(OPERAND, _operand_type("attribute_type", next(iter(operand.value))))
        elif operand.value and operand.value["S"] not in TYPES:
            self.fail(
                OPERAND,
                f"Invalid attribute type name found; type: {operand.value['S']}, valid types: {VALID_TYPE_NAMES}",
            )

    # ------------------------------------------------------------ projections

    def projection(self) -> list[tuple]:
        """A whole projection expression: comma-separated document paths."""
        paths = [self.path().elements]
        while self.at_punct(","):
            self.pos += 1
            paths.append(self.path().elements)
        self.expect_end()
        self.check_paths(paths)
        return paths

    # ------------------------------------------------------------ updates

    def update(self) -> Update:
        """A whole update expression: SET / REMOVE / ADD / DELETE clauses, each at most once."""
        actions: list = []
        seen: set[str] = set()
        while self.tokens[self.pos].kind != EOF:
            token = self.tokens[self.pos]
            clause = token.text.upper()
            if token.kind != NAME or clause not in CLAUSES:
                raise self.syntax_error()
            self.pos += 1
            if clause in seen:
                self.fail(SECTION, f'The "{clause}" section can only be used once in an update expression;')
            seen.add(clause)
            actions.append(self.update_action(clause))
            while self.at_punct(","):
                self.pos += 1
                actions.append(self.update_action(clause))
        self.check_paths([action.path.elements for action in actions])
        return Update(tuple(actions))

    def update_action(self, clause: str) -> SetAction | RemoveAction | AddAction | DeleteAction:
        path = self.path()
        if clause == "SET":
            self.expect_punct("=")
            return SetAction(path, self.set_value())
        if clause == "REMOVE":
            return RemoveAction(path)
        if self.tokens[self.pos].kind != PLACEHOLDER_VALUE:
            raise self.syntax_error()
        value = self.value()
        allowed = ("N", *SET_TYPES) if clause == "ADD" else SET_TYPES
        type_name = _static_type(value)
        if type_name is not None and type_name not in allowed:
            self.fail(
                ACTION_TYPE,
                f"Incorrect operand type for operator or function; operator: {clause}, operand type: "
                f"{TYPE_WORDS[type_name]}, typeSet: ALLOWED_FOR_{clause}_OPERAND",
            )
        return AddAction(path, value) if clause == "ADD" else DeleteAction(path, value)

    def set_value(self) -> object:
        left = self.set_operand()
        token = self.tokens[self.pos]
        if token.kind == PUNCT and token.text in ("+", "-"):
            self.pos += 1
            self.count_operator()
            right = self.set_operand()
            for operand in (left, right):
                type_name = _static_type(operand)
                if type_name is not None and type_name != "N":
                    self.fail(OPERAND, _operand_type(token.text, type_name))
            return Arith(token.text, left, right)
        return left

    def set_operand(self) -> object:
        token = self.tokens[self.pos]
        if token.kind == PUNCT and token.text == "(":
            self.pos += 1
            inner = self.set_value()
            self.expect_punct(")")
            self.mark_parenthesized(inner)
            return inner
        if self.is_call():
            return self.update_call()
        if token.kind in (NAME, PLACEHOLDER_NAME):
            return self.path()
        if token.kind == PLACEHOLDER_VALUE:
            return self.value()
        raise self.syntax_error()

    def update_call(self) -> object:
        name = self.tokens[self.pos].text
        args = self.call_args(self.set_value)
        if name not in UPDATE_FUNCTIONS:
            if name in CONDITION_FUNCTIONS or name == "size":
                self.fail(
                    FUNCTION_PLACE, f"The function is not allowed in an update expression; function: {name}"
                )
            else:
                self.fail(FUNCTION_NAME, f"Invalid function name; function: {name}")
            return Value({})
        if len(args) != 2:
            self.operand_count(name, len(args))
            return Value({})
        if name == "if_not_exists":
            if not isinstance(args[0], Path):
                self.fail(OPERAND, _requires_path(name))
                return Value({})
            return IfNotExists(args[0], args[1])
        for arg in args:
            type_name = _static_type(arg)
            if type_name is not None and type_name != "L":
                self.fail(OPERAND, _operand_type(name, type_name))
        return ListAppend(args[0], args[1])


# ---------------------------------------------------------------- entry points

_CACHE: dict[tuple, tuple[object, frozenset[str], frozenset[str]]] = {}
_CACHE_SIZE = 2048
_CACHEABLE_KEY_CHARS = 8192


def parse_cached(kind: str, text: str, ctx: ExpressionContext, keywords: frozenset[str], rule: str) -> object:
    """Parse with ``rule`` (a Parser method), reusing an earlier parse of the same text and placeholders."""
    ctx.expressions += 1
    fingerprint = ctx.fingerprint
    key = (kind, text, fingerprint) if len(fingerprint[1]) <= _CACHEABLE_KEY_CHARS else None
    if key is not None:
        hit = _CACHE.get(key)
        if hit is not None:
            ctx.mark_used(hit[1], hit[2])
            return hit[0]
    parser = Parser(text, ctx, kind, keywords)
    try:
        result = getattr(parser, rule)()
    except RecursionError:
        raise _too_deep(kind, text) from None
    parser.finish()
    if key is not None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = (result, frozenset(parser.names_used), frozenset(parser.values_used))
    return result


_NESTED_PARENS = re.compile(r"\(\s*\(")


def _too_deep(kind: str, text: str) -> ServiceError:
    """An expression nested deeper than the parser goes (hundreds of levels; AWS allows 4 KB
    of expression). Two parentheses in a row are redundant, which AWS reports first."""
    if _NESTED_PARENS.search(text):
        return expression_error(kind, "The expression has redundant parentheses;")
    return expression_error(kind, "The expression is nested too deeply;")  # message unverified


def parse_condition(text: str, ctx: ExpressionContext, kind: str = "ConditionExpression") -> object:
    """Parse a ConditionExpression (or, with ``kind="FilterExpression"``, a FilterExpression)."""
    return parse_cached(kind, text, ctx, CONDITION_KEYWORDS, "condition")


def parse_projection(text: str, ctx: ExpressionContext) -> list[tuple]:
    """Parse a ProjectionExpression into its document paths."""
    return parse_cached("ProjectionExpression", text, ctx, frozenset(), "projection")


def parse_update(text: str, ctx: ExpressionContext) -> Update:
    """Parse an UpdateExpression."""
    return parse_cached("UpdateExpression", text, ctx, CLAUSES, "update")
