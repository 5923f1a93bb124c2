"""PartiQL for DynamoDB: parsing statements, evaluating WHERE, applying UPDATE, projecting rows.

The provider of ExecuteStatement, BatchExecuteStatement and ExecuteTransaction parses with
``parse_statement``, finds the key with ``require_key``/``key_condition``, filters with
``evaluate_where``, writes with ``apply_update`` and answers with ``project``/``returning_values``.
Every refusal is a ``ServiceError("ValidationException", <AWS's text>, 400)``.
"""

from cloudlet.services.dynamodb.partiql import errors
from cloudlet.services.dynamodb.partiql.ast import (
    Delete,
    Exists,
    Expr,
    Insert,
    Path,
    RemoveAction,
    Select,
    SetAction,
    Statement,
    Update,
)
from cloudlet.services.dynamodb.partiql.evaluate import evaluate_where
from cloudlet.services.dynamodb.partiql.keys import (
    KeyCondition,
    check_order_by,
    exists_key,
    insert_key,
    key_condition,
    key_equalities,
    require_key,
    residual_condition,
)
from cloudlet.services.dynamodb.partiql.parser import parse_statement
from cloudlet.services.dynamodb.partiql.projection import project
from cloudlet.services.dynamodb.partiql.update import apply_update, returning_values

__all__ = [
    "Delete",
    "Exists",
    "Expr",
    "Insert",
    "KeyCondition",
    "Path",
    "RemoveAction",
    "Select",
    "SetAction",
    "Statement",
    "Update",
    "apply_update",
    "check_order_by",
    "errors",
    "evaluate_where",
    "exists_key",
    "insert_key",
    "key_condition",
    "key_equalities",
    "parse_statement",
    "project",
    "require_key",
    "residual_condition",
    "returning_values",
]
