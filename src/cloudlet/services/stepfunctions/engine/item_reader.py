"""A distributed Map state's ``ItemReader``: the items it reads from S3.

``arn:aws:states:::s3:getObject`` reads one object: a JSON array (``InputType`` JSON, the
default), JSON Lines (JSONL), CSV (``CSVHeaderLocation`` FIRST_ROW, or GIVEN with
``CSVHeaders``; ``CSVDelimiter``) or a manifest (MANIFEST: S3 Inventory's ``manifest.json``,
whose CSV files list the objects). ``arn:aws:states:::s3:listObjectsV2`` lists a bucket (its
``Prefix``): one item per object, as AWS gives them (``Etag``, ``Key``, ``LastModified``,
``Size``, ``StorageClass``). ``MaxItems`` (or ``MaxItemsPath``) keeps the first ones (0: all;
at most 100,000,000).

S3 is read through the in-process operation call (``gateway/internal.py``). What S3 refuses
and what cannot be read fails the map run with ``States.ItemReaderFailed``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.stepfunctions.asl import errors
from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.errors import StatesError
from cloudlet.services.stepfunctions.engine.values import dumps

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime
    from cloudlet.services.stepfunctions.engine.interpreter import Where

JSONATA = "JSONata"
MAX_ITEMS_LIMIT = 100_000_000  # MaxItems past this reads everything (as recorded: 100000001)
_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}


def failed(cause: str) -> StatesError:
    return StatesError(errors.ITEM_READER_FAILED, cause)


def _config_value(config: dict[str, Any], name: str, env: Env, language: str, where: Where) -> Any:
    """A ReaderConfig field that may be given as ``<name>Path`` (JSONPath) or JSONata."""
    from cloudlet.services.stepfunctions.asl import intrinsics, jsonata

    if language == JSONATA and jsonata.is_expression(config.get(name)):
        return jsonata.evaluate(config[name], env, f"ItemReader/ReaderConfig/{name}", where=where), name, None
    if f"{name}Path" in config:
        path = config[f"{name}Path"]
        try:
            return intrinsics.resolve_path(path, env), f"{name}Path", path
        except Exception:
            return None, f"{name}Path", path  # unverified: a path that selects nothing
    return config.get(name), name, None


def max_items(reader: dict[str, Any], env: Env, language: str, where: Where) -> int | None:
    """``MaxItems``/``MaxItemsPath`` as given (None: not given); not an integer: States.Runtime
    (as recorded). Its sign is checked once the map run started (:func:`check_max_items`)."""
    config = reader.get("ReaderConfig") or {}
    if "MaxItems" not in config and "MaxItemsPath" not in config:
        return None
    value, field, path = _config_value(config, "MaxItems", env, language, where)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        text = value if isinstance(value, str) else dumps(value)
        shown = path if path is not None else dumps(config.get(field))
        raise StatesError(
            errors.RUNTIME,
            where.cause(f'The {field} field refers to value "{text}" which is not a valid integer: {shown}'),
        )  # recorded for MaxItemsPath 1.5
    return value


def check_max_items(limit: int | None) -> int | None:
    """The number of items to keep (None: all); a negative one fails the run (as recorded)."""
    if limit is None:
        return None
    if limit < 0:
        raise failed("field MaxItems must be positive")  # recorded
    if limit == 0 or limit > MAX_ITEMS_LIMIT:
        return None
    return limit


def parameters(
    reader: dict[str, Any], env: Env, language: str, where: Where, input_path: str | None = "$"
) -> dict[str, Any]:
    """The reader's ``Parameters`` (JSONPath: on the state's effective input) or ``Arguments``
    (JSONata), evaluated."""
    from cloudlet.services.stepfunctions.asl import jsonata, payload

    if language == JSONATA:
        value = jsonata.render(reader.get("Arguments") or {}, env, "ItemReader/Arguments", where=where)
    else:
        effective = payload.apply_input_path(input_path, env, where=where)
        value = payload.render(
            reader.get("Parameters") or {},
            dataclasses.replace(env, input=effective),
            "Parameters",
            where=where,
        )
    return value if isinstance(value, dict) else {}


def s3_cause(exc: ServiceError) -> str:
    """An S3 error as the AWS SDK for Java 2.x words it (as recorded for aws-sdk:s3)."""
    return (
        f"{exc.message} (Service: S3, Status Code: {exc.status or 400}, Request ID: "
        f"{_request_id()}, Extended Request ID: {_request_id()})"
    )  # unverified for an ItemReader


def _request_id() -> str:
    import uuid

    return uuid.uuid4().hex[:16].upper()


async def _call(
    runtime: Runtime, name: str, params: dict[str, Any], account: str, region: str
) -> dict[str, Any]:
    from cloudlet.gateway import internal

    if runtime is None:  # an interpreter with no services behind it
        raise failed("Amazon S3 is not available to this interpreter.")  # unverified
    try:
        return await internal.call(runtime, "s3", name, params, account=account, region=region)
    except ServiceError as exc:
        raise failed(s3_cause(exc)) from None


async def get_object(runtime: Runtime, bucket: Any, key: Any, account: str, region: str) -> bytes:
    """An object's bytes through GetObject."""
    if not isinstance(bucket, str) or not isinstance(key, str) or not bucket or not key:
        raise failed("The ItemReader's Parameters must give a Bucket and a Key.")  # unverified
    out = await _call(runtime, "GetObject", {"Bucket": bucket, "Key": key}, account, region)
    body = out.get("Body") or b""
    if hasattr(body, "read"):
        try:
            data = body.read()
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return bytes(data)
    return bytes(body)


async def list_objects(
    runtime: Runtime, params: dict[str, Any], limit: int | None, account: str, region: str
) -> list[dict[str, Any]]:
    """The objects ListObjectsV2 lists (every page), as the ItemReader gives them."""
    bucket = params.get("Bucket")
    if not isinstance(bucket, str) or not bucket:
        raise failed("The ItemReader's Parameters must give a Bucket.")  # unverified
    ask: dict[str, Any] = {"Bucket": bucket}
    if isinstance(params.get("Prefix"), str):
        ask["Prefix"] = params["Prefix"]
    items: list[dict[str, Any]] = []
    while True:
        out = await _call(runtime, "ListObjectsV2", ask, account, region)
        for entry in out.get("Contents") or []:
            modified = entry.get("LastModified")
            items.append(
                {
                    "Etag": entry.get("ETag"),
                    "Key": entry.get("Key"),
                    # epoch seconds, as AWS's guide shows the item (# unverified)
                    "LastModified": int(modified.timestamp()) if hasattr(modified, "timestamp") else modified,
                    "Size": entry.get("Size"),
                    "StorageClass": entry.get("StorageClass", "STANDARD"),
                }
            )
            if limit is not None and len(items) >= limit:
                return items
        token = out.get("NextContinuationToken")
        if not out.get("IsTruncated") or not token:
            return items
        ask["ContinuationToken"] = token


def parse_json(data: bytes) -> list[Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise failed("Attempting to map over non-iterable node.") from None  # unverified for bad JSON
    if not isinstance(value, list):
        raise failed("Attempting to map over non-iterable node.")  # recorded
    return value


def parse_jsonl(data: bytes) -> list[Any]:
    items = []
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            raise failed(f"Unable to parse the JSON Lines item at line {number}.") from None  # unverified
    return items


def parse_csv(data: bytes, config: dict[str, Any]) -> list[dict[str, str]]:
    """CSV rows as objects keyed by the headers (the first row, or ``CSVHeaders``): values are
    text; fields past the headers are dropped, missing ones are empty (as recorded)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise failed("The CSV file is not valid UTF-8.") from None  # unverified
    delimiter = _DELIMITERS.get(str(config.get("CSVDelimiter", "COMMA")), ",")
    try:
        rows = [
            row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True) if row
        ]
    except csv.Error as exc:
        raise failed(f"The CSV file could not be parsed: {exc}.") from None  # unverified
    location = config.get("CSVHeaderLocation", "FIRST_ROW")
    if location == "GIVEN":
        headers = config.get("CSVHeaders")
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
            raise failed("CSVHeaders must be a list of strings.")  # unverified
    else:
        if not rows:
            return []
        headers, rows = rows[0], rows[1:]
    if len(set(headers)) != len(headers):
        raise failed("CSV headers cannot contain duplicates.")  # recorded
    return [{h: (row[i] if i < len(row) else "") for i, h in enumerate(headers)} for row in rows]


async def parse_manifest(runtime: Runtime, data: bytes, account: str, region: str) -> list[dict[str, Any]]:
    """An S3 Inventory manifest: the objects its CSV files list (``Bucket``, ``Key``, and the
    other columns its ``fileSchema`` names). # unverified: the item's shape"""
    import gzip

    try:
        manifest = orjson.loads(data)
        schema = [c.strip() for c in str(manifest.get("fileSchema", "Bucket, Key")).split(",")]
        files = manifest["files"]
        bucket = manifest.get("destinationBucket", "").rpartition(":")[2]
    except (orjson.JSONDecodeError, KeyError, AttributeError, TypeError):
        raise failed("The manifest file is not a valid S3 Inventory manifest.") from None  # unverified
    items: list[dict[str, Any]] = []
    for entry in files:
        key = entry.get("key") if isinstance(entry, dict) else None
        body = await get_object(runtime, bucket, key, account, region)
        if key and key.endswith(".gz"):
            try:
                body = gzip.decompress(body)
            except OSError:
                raise failed(f"The inventory file {key} is not gzip.") from None  # unverified
        for row in csv.reader(io.StringIO(body.decode("utf-8", "replace"))):
            if row:
                items.append({name: row[i] if i < len(row) else "" for i, name in enumerate(schema)})
    return items


async def read(
    runtime: Runtime,
    reader: dict[str, Any],
    params: dict[str, Any],
    limit: int | None,
    account: str,
    region: str,
) -> list[Any]:
    """The items of the reader (``params``: its evaluated Parameters/Arguments)."""
    resource = str(reader.get("Resource", ""))
    config = reader.get("ReaderConfig") or {}
    action = resource.rpartition(":")[2]
    if action == "listObjectsV2":
        return await list_objects(runtime, params, limit, account, region)
    if action != "getObject":
        raise failed(f"The ItemReader resource {resource} is not supported.")  # unverified
    data = await get_object(runtime, params.get("Bucket"), params.get("Key"), account, region)
    kind = config.get("InputType", "JSON")
    if kind == "CSV":
        items: list[Any] = parse_csv(data, config)
    elif kind == "JSONL":
        items = parse_jsonl(data)
    elif kind == "MANIFEST":
        items = await parse_manifest(runtime, data, account, region)
    else:
        items = parse_json(data)
    return items[:limit] if limit is not None else items
