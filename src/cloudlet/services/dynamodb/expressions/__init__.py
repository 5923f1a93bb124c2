"""DynamoDB expressions: parsing, validation and evaluation with AWS's semantics and messages.

Typical use by the provider, for one request::

    ctx = ExpressionContext(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))
    condition = parse_condition(text, ctx)                 # or kind="FilterExpression"
    update = parse_update(update_text, ctx)
    paths = parse_projection(projection_text, ctx)
    keys = parse_key_condition(kce, ctx, {"HASH": "pk", "RANGE": "sk"})
    ctx.check_unused("UpdateItem")                         # after every expression of the request

    evaluate(condition, item) -> bool
    new_item, updated_names = apply_update(update, item)   # update.paths: the written paths
    project(paths, item) -> item
    keys.hash_value, keys.range_op, keys.range_values, keys.matches_range(value)
    paths_in(condition or update) -> every document path mentioned (key-attribute checks)

Every invalid input raises ``ServiceError("ValidationException", <AWS's message>, 400)``.
``legacy`` converts the pre-expression parameters into the same trees.
"""

from .ast import Update, paths_in
from .evaluate import evaluate, resolve
from .keys import KeyCondition, parse_key_condition
from .legacy import (
    attribute_updates,
    attributes_to_get,
    check_parameters,
    expected_condition,
    filter_condition,
    key_conditions,
)
from .names import ExpressionContext
from .parser import parse_condition, parse_projection, parse_update
from .projection import project
from .update import apply_update

__all__ = [
    "ExpressionContext",
    "KeyCondition",
    "Update",
    "apply_update",
    "attribute_updates",
    "attributes_to_get",
    "check_parameters",
    "evaluate",
    "expected_condition",
    "filter_condition",
    "key_conditions",
    "parse_condition",
    "parse_key_condition",
    "parse_projection",
    "parse_update",
    "paths_in",
    "project",
    "resolve",
]
