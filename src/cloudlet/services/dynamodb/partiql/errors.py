"""The ValidationException texts the PartiQL engine answers with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudlet.protocol.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.services.dynamodb.partiql.lexer import Token

NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "
LEFTOVER = "Unexpected token after expression"
UNEXPECTED_TERM = "Unexpected term"
UNEXPECTED_KEYWORD = "Unexpected keyword"
UNEXPECTED_OPERATOR = "Unexpected operator"
MISSING_RHS = "Missing right-hand side expression of infix operator"
EXPECTED_DML = "Expected data manipulation"
EXPECTED_SIMPLE_PATH = "Expected identifier for simple path"
EXPECTED_TYPE_NAME = "Expected type name"
INVALID_DOT = "Invalid path dot component"

PARAMETER_COUNT = "Number of parameters in request and statement don't match."
INCOMPLETE_KEY = "Where clause does not contain a mandatory equality on all key attributes"
MULTIPLE_KEY_CONDITIONS = (
    "Multiple conditions on same key {}. Only single item Update/Insert/Delete are supported"
)
KEY_TYPE = "Key value must be of type S, N, or B. Key name: {}, Key type: {}"
KEY_ABSENT = "Key attribute should be present in the item: Key {}"
KEY_SCHEMA_MISMATCH = "Key attribute's data type should match its data type in table's schema: Key {}"
ALIASING = "Aliasing is not supported"
PATH_EMPTY = "Path component cannot be an empty string"
FROM_COMPONENTS = "A path may contain at most 2 components in the FROM clause"
SINGLE_SOURCE = "Only select from a single table or index is supported."
ON_INDEX = "This operation is not supported on an index"
VALUE_OR_PIVOT = "Select projection doesn't support value or pivot keywords"
STAR_AND_OTHERS = "Other attributes should not be present in the projection when '*' is used."
DUPLICATE_PROJECTION = "Duplicate identifiers in select clause: {}"
UNEXPECTED_PATH_COMPONENT = "Unexpected path component"
UNPIVOT_PATH = "Unpivot path component like a.*.b are not supported"
WILDCARD_PATH = "Wildcard path component like a[*].b are not supported"
ORDER_BY_NO_WHERE = "Must have WHERE clause in the statement when using ORDER BY clause."
ORDER_BY_NO_HASH = (
    "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."
)
ORDER_BY_NOT_KEY = "Variable reference {} in ORDER BY clause must be part of the primary key"
ORDER_BY_TYPE = "Argument to ORDER BY must be of type VariableReference. Type: {}"
ORDER_BY_HASH_NEEDED = (
    "Must have hash key in ORDER BY clause when more than one hash key condition specified in WHERE clause."
)
ITEM_FORMAT = (
    "Unsupported format in item expression. Please use struct format {...} "
    "to express item values for insert statement."
)
INSERT_MULTIPLE = (
    "Unsupported operation: Inserting multiple items in a single statement is not supported, "
    'use "INSERT INTO tableName VALUE item" instead'
)
RETURNING_INSERT = "RETURNING is not supported in INSERT"
RETURNING_DELETE = (
    "Invalid returning clause: RETURNING {}. Only RETURNING ALL OLD * is allowed in DELETE statements."
)
RETURNING_SYNTAX = "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"
RETURNING_MULTIPLE = "Invalid syntax with multiple returning elements in RETURNING clause"
UNSUPPORTED_OPERATION = "Unsupported operation: {}"
UNRECOGNIZED_FUNCTION = "Unrecognized function: {}"
UNSUPPORTED_CONDITION_OPERATOR = "Unsupported operator in Condition Expression. Operator: {}"
UNSUPPORTED_UPDATE_OPERATOR = "Unsupported operator in Update Expression. Operator: {}"
UNRECOGNIZED_TARGET = "Unrecognized assignment target: {}"
IS_IN_UPDATE = "IS operator is not supported in update expressions"
IS_OPERAND = "The left hand side argument to IS must be a Variable Reference, Literal, or Path"
IS_TYPE = (
    "Unsupported data type for IS operator: {}. "
    "Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"
)
MISSING_LITERAL = "MISSING must be compared using IS operator"
IN_OPERANDS = (
    "IN operator must have a left hand argument of type Variable Reference and right hand "
    "argument of type Seq with at least one member"
)
NOT_OPERAND = "The argument to NOT must be a Type or Expression"
AND_OR_OPERANDS = "The arguments to AND/OR must be Expressions"
WHERE_NOT_BOOLEAN = "WHERE clause must contain an expression that resolves to a boolean"
OPERAND_COUNT = (
    "Incorrect number of operands for operator or function; operator or function: {}, number of operands: {}"
)
OPERAND_TYPE = "Incorrect operand type for operator or function; operator or function: {}, operand type: {}"
NEEDS_PATH = "Operator or function requires a document path; operator or function: {}"
SET_FUNCTION_ARITY = "{} must have exactly two arguments"
SET_FUNCTION_FIRST = "The first argument to {} must equal the assignment value"
SET_FUNCTION_SECOND = "The second argument to {} must be a value with type SET"
EMPTY_BAG = "Empty bags are not supported"
BAG_TYPES = "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"
DUPLICATE_TUPLE_KEY = "Duplicate keys in tuple. Key: {} under {}"
TUPLE_KEY_TYPE = "Tuple keys must be of type String. Actual type: {} under {}"
UNSUPPORTED_DATA_TYPE = "Unsupported data type: {} under key {}"
UPDATE_OPERAND_TYPE = "An operand in the update expression has an incorrect data type"
UPDATE_MISSING_ATTRIBUTE = "The provided expression refers to an attribute that does not exist in the item"
UPDATE_INVALID_PATH = "The document path provided in the update expression is invalid for update"
EXISTS_OUTSIDE_TRANSACTION = "EXISTS can only be used in ExecuteTransaction write requests."
EXISTS_SHAPE = "EXISTS() must contain a single item read with additional condition"
TRANSACTION_SELECT_KEY = (
    "Select statements within ExecuteTransaction must specify the primary key in the where clause."
)
BATCH_SELECT_KEY = (
    "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
)


def invalid(message: str) -> ServiceError:
    """A ValidationException with ``message``."""
    return ServiceError("ValidationException", message, 400)


def malformed(detail: str = "") -> ServiceError:
    """The "wasn't well formed" envelope around a parser detail (which may be empty)."""
    return invalid(NOT_WELL_FORMED + detail)


def at(message: str, token: Token) -> ServiceError:
    """``message`` with the ``at line:column:length`` suffix AWS gives for a token."""
    return invalid(f"{message} at {token.line}:{token.column}:{token.length}")
