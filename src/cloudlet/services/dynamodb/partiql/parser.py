"""Recursive-descent parser: statement text and ``?`` parameters to a Statement."""

from __future__ import annotations

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.partiql import errors
from cloudlet.services.dynamodb.partiql.ast import (
    Arith,
    Between,
    Call,
    Compare,
    Delete,
    Exists,
    Expr,
    In,
    Insert,
    Is,
    Literal,
    Logical,
    Missing,
    Not,
    Path,
    RemoveAction,
    Select,
    SetAction,
    Statement,
    Update,
)
from cloudlet.services.dynamodb.partiql.lexer import Token, tokenize
from cloudlet.services.dynamodb.partiql.literals import (
    BagLiteral,
    ListLiteral,
    MapLiteral,
    Scalar,
    struct,
    to_value,
)
from cloudlet.services.dynamodb.partiql.projection import projection_names
from cloudlet.services.dynamodb.values import validate_value, value_type

_COMPARISONS = ("=", "<>", "!=", "<", "<=", ">", ">=")
_ORDERING = ("<", "<=", ">", ">=")
_ARITHMETIC = ("+", "-", "*", "/", "%")
_OPERATOR_WORDS = ("AND", "OR", "IS", "IN", "LIKE", "BETWEEN")
_ORDERABLE = ("S", "N", "B")

# Condition functions and their operand counts; all but size are conditions themselves.
_CONDITION_FUNCTIONS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
    "size": 1,
}
# Type names PartiQL reads after IS that DynamoDB refuses.
_REFUSED_IS_TYPES = """
SMALLINT INT INTEGER INT2 INTEGER2 INT4 INTEGER4 INT8 INTEGER8 FLOAT REAL DECIMAL DEC TIMESTAMP
CHAR CHARACTER VARCHAR SYMBOL CLOB SEXP BAG DATE TIME ANY
"""
# Every type name PartiQL reads after IS, mapped to the one DynamoDB evaluates (None: refused).
_IS_TYPES: dict[str, str | None] = {
    "MISSING": "MISSING",
    "NULL": "NULL",
    "BOOL": "BOOLEAN",
    "BOOLEAN": "BOOLEAN",
    "BLOB": "BLOB",
    "STRING": "STRING",
    "NUMERIC": "NUMERIC",
    "STRUCT": "STRUCT",
    "TUPLE": "TUPLE",
    "LIST": "LIST",
    **dict.fromkeys(_REFUSED_IS_TYPES.split()),
    "DOUBLE PRECISION": None,
    "CHARACTER VARYING": None,
}


def parse_statement(text: str, parameters: list[dict] | None = None) -> Statement:
    """Parse one PartiQL statement, binding ``parameters`` to its ``?`` in order.

    Raises the ValidationException AWS gives for a statement it refuses.
    """
    try:
        return _Parser(text, parameters or []).statement()
    except RecursionError:  # hundreds of nested parentheses, lists or maps
        raise errors.malformed("Expression nesting is too deep") from None  # message unverified


def _first_token(node: Expr) -> Token:
    """The token an expression starts with (for ``at line:column:length`` positions)."""
    while isinstance(node, Compare | Logical | Arith):
        node = node.left
    if isinstance(node, Between | In | Is):
        return _first_token(node.operand)
    if isinstance(node, Not):
        return _first_token(node.operand)
    return node.token


def _kind(node: Expr) -> str:
    """The PartiQL AST node name AWS reports for a bare expression statement."""
    if isinstance(node, Is):
        return "IsType"
    if isinstance(node, Path):
        return "VariableReference" if len(node.steps) == 1 else "Path"
    if isinstance(node, Literal):
        return "Literal"
    if isinstance(node, Call):
        return "Call"
    return "NAry"


class _Parser:
    def __init__(self, text: str, parameters: list[dict]) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.parameters = parameters
        self.bound = 0
        self.deferred: list[ServiceError] = []

    # ------------------------------------------------------------ tokens

    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "eof":
            self.pos += 1
        return token

    def accept_word(self, *names: str) -> Token | None:
        return self.advance() if self.peek().is_word(*names) else None

    def accept_punct(self, *symbols: str) -> Token | None:
        return self.advance() if self.peek().is_punct(*symbols) else None

    def expect_punct(self, symbol: str) -> None:
        if not self.accept_punct(symbol):
            raise self.term_error(self.peek(), False)

    @staticmethod
    def term_error(token: Token, infix: bool) -> ServiceError:
        """What AWS says when ``token`` stands where a term should start."""
        if token.kind == "eof" or token.is_punct(";"):
            return errors.malformed(errors.MISSING_RHS if infix else errors.UNEXPECTED_TERM)
        if token.is_word(*_OPERATOR_WORDS) or token.is_punct(*_COMPARISONS, *_ARITHMETIC):
            return errors.malformed(errors.UNEXPECTED_OPERATOR)
        if token.is_keyword:
            return errors.malformed(errors.UNEXPECTED_KEYWORD)
        return errors.malformed(errors.UNEXPECTED_TERM)

    def bind(self) -> dict:
        if self.bound >= len(self.parameters):
            raise errors.invalid(errors.PARAMETER_COUNT)
        self.bound += 1
        return validate_value(self.parameters[self.bound - 1])

    # ------------------------------------------------------------ statements

    def statement(self) -> Statement:
        first = self.peek()
        expression: Expr | None = None
        if first.is_word("SELECT"):
            statement: Statement | None = self.select()
        elif first.is_word("INSERT"):
            statement = self.insert()
        elif first.is_word("UPDATE"):
            statement = self.update()
        elif first.is_word("DELETE"):
            statement = self.delete()
        elif first.is_word("FROM"):
            statement = self.from_update()
        elif first.is_word("EXISTS") and self.peek(1).is_punct("("):
            statement = self.exists()
        else:
            statement, expression = None, self.disjunction(False)
        self.accept_punct(";")
        if self.peek().kind != "eof":
            raise errors.malformed(errors.LEFTOVER)
        if self.bound != len(self.parameters):
            raise errors.invalid(errors.PARAMETER_COUNT)
        if self.deferred:
            raise self.deferred[0]
        if statement is None:
            raise errors.invalid(errors.UNSUPPORTED_OPERATION.format(_kind(expression)))  # type: ignore[arg-type]
        return statement

    def select(self) -> Select:
        self.advance()
        if self.peek().is_word("VALUE", "PIVOT"):
            raise errors.invalid(errors.VALUE_OR_PIVOT)
        projection = self.projection()
        if not self.accept_word("FROM"):
            raise self.term_error(self.peek(), False)
        table, index = self.source(errors.UNEXPECTED_TERM, errors.UNEXPECTED_KEYWORD)
        self.refuse_alias()
        if self.peek().is_punct(","):
            raise errors.invalid(errors.SINGLE_SOURCE)
        where = self.where()
        order_by = self.order_by()
        if order_by and where is None:
            self.deferred.append(errors.invalid(errors.ORDER_BY_NO_WHERE))
        return Select(table, index, projection, where, order_by)

    def projection(self) -> list[Path] | None:
        if self.accept_punct("*"):
            if self.peek().is_punct(","):
                raise errors.invalid(errors.STAR_AND_OTHERS)
            return None
        paths = []
        while True:
            if self.peek().is_punct("*"):
                raise errors.invalid(errors.STAR_AND_OTHERS)
            node = self.additive(False)
            if not isinstance(node, Path):
                raise errors.at(errors.UNEXPECTED_PATH_COMPONENT, _first_token(node))
            self.refuse_alias()
            paths.append(node)
            if not self.accept_punct(","):
                break
        names = projection_names(paths)
        for name in names:
            if names.count(name) > 1:
                raise errors.invalid(errors.DUPLICATE_PROJECTION.format(name))
        return paths

    def source(self, missing: str, keyword: str) -> tuple[str, str | None]:
        """``table`` or ``table.index``; ``missing``/``keyword`` are the details when no name stands."""
        components = [self.source_name(missing, keyword)]
        while self.accept_punct("."):
            components.append(self.source_name(errors.INVALID_DOT, errors.INVALID_DOT))
        if "" in components:
            raise errors.invalid(errors.PATH_EMPTY)
        if len(components) > 2:
            raise errors.invalid(errors.FROM_COMPONENTS)
        return components[0], components[1] if len(components) == 2 else None

    def source_name(self, missing: str, keyword: str) -> str:
        token = self.peek()
        if token.kind == "quoted" or (token.kind == "word" and not token.is_keyword):
            return self.advance().text
        raise errors.malformed(keyword if token.is_keyword else missing)

    def target(self) -> tuple[str, str | None]:
        return self.source(errors.EXPECTED_SIMPLE_PATH, errors.EXPECTED_SIMPLE_PATH)

    def refuse_alias(self) -> None:
        token = self.peek()
        if token.is_word("AS") or token.kind == "quoted" or (token.kind == "word" and not token.is_keyword):
            raise errors.invalid(errors.ALIASING)

    def where(self) -> Expr | None:
        if not self.accept_word("WHERE"):
            return None
        condition = self.disjunction(False)
        self.check_condition(condition, errors.WHERE_NOT_BOOLEAN)
        return condition

    def order_by(self) -> list[tuple[str, bool]]:
        if not self.peek().is_word("ORDER") or not self.peek(1).is_word("BY"):
            return []
        self.advance()
        self.advance()
        keys = []
        while True:
            node = self.additive(False)
            if not (isinstance(node, Path) and len(node.steps) == 1):
                raise errors.invalid(errors.ORDER_BY_TYPE.format(_kind(node)))
            descending = self.accept_word("ASC", "DESC")
            keys.append((node.name, bool(descending and descending.upper == "DESC")))
            if not self.accept_punct(","):
                return keys

    def insert(self) -> Insert:
        self.advance()
        if not self.accept_word("INTO"):
            raise self.term_error(self.peek(), False)
        table, index = self.target()
        if self.peek().is_word("VALUES"):
            raise errors.invalid(errors.INSERT_MULTIPLE)
        if not self.accept_word("VALUE"):
            raise errors.malformed(errors.LEFTOVER)
        value = self.primary(False, raw=True)
        if isinstance(value, BagLiteral) and any(isinstance(v, MapLiteral) for v in value.items):
            raise errors.invalid(errors.INSERT_MULTIPLE)
        if not isinstance(value, MapLiteral):
            raise errors.invalid(errors.ITEM_FORMAT)
        item = struct(value)
        if self.peek().is_word("RETURNING"):
            raise errors.invalid(errors.RETURNING_INSERT)
        if index is not None:
            raise errors.invalid(errors.ON_INDEX)
        return Insert(table, item)

    def update(self) -> Update:
        self.advance()
        table, index = self.target()
        self.refuse_alias()
        actions = self.actions()
        where = self.where()
        return self.finish_update(table, index, actions, where)

    def from_update(self) -> Update:
        self.advance()
        table, index = self.target()
        self.refuse_alias()
        where = self.where()
        return self.finish_update(table, index, self.actions(), where)

    def finish_update(
        self, table: str, index: str | None, actions: list[SetAction | RemoveAction], where: Expr | None
    ) -> Update:
        returning = self.returning()
        if index is not None:
            raise errors.invalid(errors.ON_INDEX)
        if where is None:
            self.deferred.append(errors.invalid(errors.INCOMPLETE_KEY))
        return Update(table, actions, where, returning)  # type: ignore[arg-type]

    def delete(self) -> Delete:
        self.advance()
        if not self.accept_word("FROM"):
            raise errors.malformed(errors.EXPECTED_SIMPLE_PATH)
        table, index = self.target()
        self.refuse_alias()
        where = self.where()
        returning = self.returning()
        if returning is not None and returning != "ALL OLD":
            raise errors.invalid(errors.RETURNING_DELETE.format(returning + " *"))
        if index is not None:
            raise errors.invalid(errors.ON_INDEX)
        if where is None:
            self.deferred.append(errors.invalid(errors.INCOMPLETE_KEY))
        return Delete(table, where, returning)  # type: ignore[arg-type]

    def exists(self) -> Exists:
        self.advance()
        self.advance()
        if not self.peek().is_word("SELECT"):
            raise self.term_error(self.peek(), False)
        select = self.select()
        self.expect_punct(")")
        return Exists(select)

    def actions(self) -> list[SetAction | RemoveAction]:
        actions: list[SetAction | RemoveAction] = []
        while True:
            if self.accept_word("SET"):
                actions.append(self.assignment())
                while self.accept_punct(","):
                    actions.append(self.assignment())
            elif self.accept_word("REMOVE"):
                actions.append(RemoveAction(self.target_path()))
                while self.accept_punct(","):
                    actions.append(RemoveAction(self.target_path()))
            elif actions:
                return actions
            else:
                raise errors.malformed(errors.EXPECTED_DML)

    def assignment(self) -> SetAction:
        path = self.target_path()
        if not self.accept_punct("="):
            raise self.term_error(self.peek(), False)
        value = self.additive(True)
        self.check_value(value, path)
        return SetAction(path, value)

    def target_path(self) -> Path:
        token = self.peek()
        if token.kind == "word" and self.peek(1).is_punct("("):
            raise errors.invalid(errors.UNRECOGNIZED_TARGET.format(token.text))
        if token.kind == "quoted" or (token.kind == "word" and not token.is_keyword):
            return self.path()
        raise self.term_error(token, False)

    def returning(self) -> str | None:
        if not self.accept_word("RETURNING"):
            return None
        which = self.accept_word("ALL", "MODIFIED")
        age = which and self.accept_word("NEW", "OLD")
        if not age or not self.accept_punct("*"):
            raise errors.invalid(errors.RETURNING_SYNTAX)
        if self.peek().is_punct(","):
            raise errors.invalid(errors.RETURNING_MULTIPLE)
        return f"{which.upper} {age.upper}"  # type: ignore[union-attr]

    # ------------------------------------------------------------ expressions

    def disjunction(self, infix: bool) -> Expr:
        left = self.conjunction(infix)
        while self.accept_word("OR"):
            left = Logical("OR", left, self.conjunction(True))
        return left

    def conjunction(self, infix: bool) -> Expr:
        left = self.negation(infix)
        while self.accept_word("AND"):
            left = Logical("AND", left, self.negation(True))
        return left

    def negation(self, infix: bool) -> Expr:
        if self.accept_word("NOT"):
            return Not(self.negation(False))
        return self.predicate(infix)

    def predicate(self, infix: bool) -> Expr:
        left = self.additive(infix)
        token = self.peek()
        if token.is_punct(*_COMPARISONS):
            self.advance()
            return Compare(token.text, left, self.additive(True))
        if token.is_word("IS"):
            self.advance()
            negated = bool(self.accept_word("NOT"))
            name = self.type_name()
            return Is(left, _IS_TYPES[name] or name, negated)
        negated = bool(token.is_word("NOT") and self.peek(1).is_word("BETWEEN", "IN", "LIKE"))
        if negated:
            self.advance()
            token = self.peek()
        if token.is_word("BETWEEN"):
            self.advance()
            low = self.additive(True)
            if not self.accept_word("AND"):
                raise self.term_error(self.peek(), False)
            node: Expr = Between(left, low, self.additive(True))
        elif token.is_word("IN"):
            self.advance()
            node = In(left, self.in_options())
        elif token.is_word("LIKE"):
            raise errors.invalid(errors.UNSUPPORTED_CONDITION_OPERATOR.format("LIKE"))
        else:
            return left
        return Not(node) if negated else node

    def in_options(self) -> tuple[Expr, ...]:
        opener = self.accept_punct("[", "(")
        if not opener:
            raise errors.invalid(errors.IN_OPERANDS)
        closer = "]" if opener.text == "[" else ")"
        options: list[Expr] = []
        if not self.accept_punct(closer):
            options.append(self.additive(True))
            while self.accept_punct(","):
                options.append(self.additive(True))
            self.expect_punct(closer)
        return tuple(options)

    def type_name(self) -> str:
        token = self.peek()
        name = token.upper
        if name not in _IS_TYPES and name not in ("DOUBLE", "CHARACTER"):
            raise errors.malformed(errors.EXPECTED_TYPE_NAME)
        self.advance()
        if name == "DOUBLE" or (name == "CHARACTER" and self.peek().is_word("VARYING")):
            follower = self.accept_word("PRECISION" if name == "DOUBLE" else "VARYING")
            if not follower:
                raise errors.malformed(errors.EXPECTED_TYPE_NAME)
            name = f"{name} {follower.upper}"
        return name

    def additive(self, infix: bool) -> Expr:
        left = self.primary(infix)
        while self.peek().is_punct(*_ARITHMETIC):
            op = self.advance().text
            left = Arith(op, left, self.primary(True))
        return left

    def primary(self, infix: bool, *, raw: bool = False) -> object:
        """A term; literals come back as AttributeValues unless ``raw`` (inside a constructor)."""
        token = self.peek()
        node: object
        if token.kind == "number":
            node = Scalar("N", self.advance().text, token)
        elif token.kind == "string":
            node = Scalar("S", self.advance().text, token)
        elif token.kind == "param":
            self.advance()
            node = Scalar("AV", self.bind(), token)
        elif token.is_punct("-", "+") and self.peek(1).kind == "number":
            self.advance()
            sign = "-" if token.text == "-" else ""
            node = Scalar("N", sign + self.advance().text, token)
        elif token.is_word("TRUE", "FALSE"):
            node = Scalar("BOOL", self.advance().upper == "TRUE", token)
        elif token.is_word("NULL"):
            self.advance()
            node = Scalar("NULL", True, token)
        elif token.is_word("MISSING"):
            return Missing(self.advance())
        elif token.is_punct("["):
            node = ListLiteral(self.elements("]"), token)
        elif token.is_punct("<<"):
            node = BagLiteral(self.elements(">>"), token)
        elif token.is_punct("{"):
            node = MapLiteral(self.entries(), token)
        elif token.is_punct("(") and not raw:
            self.advance()
            inner = self.disjunction(False)
            self.expect_punct(")")
            return inner
        elif (
            token.kind == "word" and self.peek(1).is_punct("(") and not token.is_word(*_OPERATOR_WORDS, "NOT")
        ):
            return self.call()
        elif token.kind == "quoted" or (token.kind == "word" and not token.is_keyword):
            return self.path()
        else:
            raise self.term_error(token, infix)
        return node if raw else Literal(to_value(node), token)

    def elements(self, closer: str) -> tuple[object, ...]:
        self.advance()
        items: list[object] = []
        if self.accept_punct(closer):
            return ()
        items.append(self.primary(True, raw=True))
        while self.accept_punct(","):
            items.append(self.primary(True, raw=True))
        self.expect_punct(closer)
        return tuple(items)

    def entries(self) -> tuple[tuple[object, object], ...]:
        self.advance()
        entries: list[tuple[object, object]] = []
        if self.accept_punct("}"):
            return ()
        while True:
            key = self.primary(True, raw=True)
            self.expect_punct(":")
            entries.append((key, self.primary(True, raw=True)))
            if not self.accept_punct(","):
                break
        self.expect_punct("}")
        return tuple(entries)

    def call(self) -> Call:
        name = self.advance()
        self.advance()
        args: list[Expr] = []
        if not self.accept_punct(")"):
            args.append(self.additive(False))
            while self.accept_punct(","):
                args.append(self.additive(True))
            self.expect_punct(")")
        return Call(name.text.lower(), tuple(args), name)

    def path(self) -> Path:
        start = self.advance()
        steps: list[str | int] = [start.text]
        while True:
            if self.accept_punct("."):
                token = self.peek()
                if token.is_punct("*"):
                    raise errors.invalid(errors.UNPIVOT_PATH)
                if not (token.kind == "quoted" or (token.kind == "word" and not token.is_keyword)):
                    raise errors.malformed(errors.INVALID_DOT)
                steps.append(self.advance().text)
            elif self.accept_punct("["):
                token = self.advance()
                if token.is_punct("*"):
                    raise errors.invalid(errors.WILDCARD_PATH)
                if token.kind == "number" and token.text.isdigit():
                    steps.append(int(token.text))
                elif token.kind == "string":
                    steps.append(token.text)
                else:
                    raise self.term_error(token, False)
                self.expect_punct("]")
            else:
                return Path(tuple(steps), start)

    # ------------------------------------------------------------ checks

    def check_condition(self, node: Expr, message: str) -> None:
        """Refuse what DynamoDB cannot evaluate as a condition; ``message`` if ``node`` is no boolean."""
        if isinstance(node, Logical):
            self.check_condition(node.left, errors.AND_OR_OPERANDS)
            self.check_condition(node.right, errors.AND_OR_OPERANDS)
        elif isinstance(node, Not):
            self.check_condition(node.operand, errors.NOT_OPERAND)
        elif isinstance(node, Compare):
            self.check_operands(node.op, (node.left, node.right))
        elif isinstance(node, Between):
            self.check_operands("BETWEEN", (node.operand, node.low, node.high))
        elif isinstance(node, In):
            literals = all(isinstance(option, Literal) for option in node.options)
            if not isinstance(node.operand, Path) or not node.options or not literals:
                raise errors.invalid(errors.IN_OPERANDS)
        elif isinstance(node, Is):
            if not isinstance(node.operand, Path | Literal):
                raise errors.invalid(errors.IS_OPERAND)
            if _IS_TYPES[node.type_name] is None:
                raise errors.invalid(errors.IS_TYPE.format(node.type_name))
        elif isinstance(node, Call):
            if self.check_function(node) == "size":
                raise errors.invalid(message)
        else:
            raise errors.invalid(message)

    def check_operands(self, op: str, operands: tuple[Expr, ...]) -> None:
        for operand in operands:
            if isinstance(operand, Missing):
                raise errors.invalid(errors.MISSING_LITERAL)
            if isinstance(operand, Call):
                if self.check_function(operand) != "size":
                    raise errors.invalid(errors.UNSUPPORTED_CONDITION_OPERATOR.format(operand.name))
            elif isinstance(operand, Arith):
                raise errors.invalid(errors.UNSUPPORTED_CONDITION_OPERATOR.format(operand.op))
            elif not isinstance(operand, Path | Literal):
                raise errors.invalid(errors.UNSUPPORTED_CONDITION_OPERATOR.format(op))
            if op in (*_ORDERING, "BETWEEN") and isinstance(operand, Literal):
                kind = value_type(operand.value)
                if kind not in _ORDERABLE:
                    raise errors.invalid(errors.OPERAND_TYPE.format(op, kind))

    def check_function(self, call: Call) -> str:
        """Check a condition function's operands; returns its name."""
        count = _CONDITION_FUNCTIONS.get(call.name)
        if count is None:
            raise errors.at(errors.UNRECOGNIZED_FUNCTION.format(call.name), call.token)
        if len(call.args) != count:
            raise errors.invalid(errors.OPERAND_COUNT.format(call.name, len(call.args)))
        if not isinstance(call.args[0], Path):
            raise errors.invalid(errors.NEEDS_PATH.format(call.name))
        if count == 2:
            self.check_operands(call.name, call.args[1:])
            second = call.args[1]
            allowed = {"begins_with": ("S", "B"), "attribute_type": ("S",)}.get(call.name)
            if allowed and isinstance(second, Literal) and value_type(second.value) not in allowed:
                raise errors.invalid(errors.OPERAND_TYPE.format(call.name, value_type(second.value)))
        return call.name

    def check_value(self, node: Expr, target: Path) -> None:
        """Refuse what an update expression cannot compute for ``SET target = node``."""
        if isinstance(node, Path | Literal):
            return
        if isinstance(node, Missing):
            raise errors.invalid(errors.MISSING_LITERAL)
        if isinstance(node, Arith):
            if node.op not in ("+", "-"):
                raise errors.invalid(errors.UNSUPPORTED_UPDATE_OPERATOR.format(node.op))
            self.check_plain(node.op, (node.left, node.right))
        elif isinstance(node, Call) and node.name in ("set_add", "set_delete"):
            name = node.name.upper()
            if len(node.args) != 2:
                raise errors.at(errors.SET_FUNCTION_ARITY.format(name), node.token)
            if node.args[0] != target:
                raise errors.at(errors.SET_FUNCTION_FIRST.format(name), node.token)
            second = node.args[1]
            if not (isinstance(second, Literal) and value_type(second.value) in ("SS", "NS", "BS")):
                raise errors.at(errors.SET_FUNCTION_SECOND.format(name), _first_token(node.args[0]))
        elif isinstance(node, Call) and node.name == "list_append":
            if len(node.args) != 2:
                raise errors.invalid(errors.OPERAND_COUNT.format(node.name, len(node.args)))
            self.check_plain(node.name, node.args)
        elif isinstance(node, Call):
            raise errors.at(errors.UNRECOGNIZED_FUNCTION.format(node.name), node.token)
        elif isinstance(node, Is):
            raise errors.invalid(errors.IS_IN_UPDATE)
        else:
            op = node.op if isinstance(node, Compare | Logical) else type(node).__name__.upper()
            raise errors.invalid(errors.UNSUPPORTED_UPDATE_OPERATOR.format(op))

    @staticmethod
    def check_plain(op: str, operands: tuple[Expr, ...]) -> None:
        """Operands of + - and list_append are paths or values."""
        for operand in operands:
            if isinstance(operand, Missing):
                raise errors.invalid(errors.MISSING_LITERAL)
            if not isinstance(operand, Path | Literal):
                raise errors.invalid(errors.UNSUPPORTED_UPDATE_OPERATOR.format(op))
