"""EventBridge connections and API destinations: a mixin of the EventBridge provider.

A connection holds how to authorize calls to an HTTP endpoint (Basic, an API key, OAuth
client credentials) and extra HTTP parameters; its secret values live, as on AWS, in a Secrets
Manager secret ``events!connection/<name>/<uuid>`` that EventBridge manages (``OwningService``
``events``; secretsmanager/interface.py), in the JSON form AWS's secret holds; only when this
Cloudlet does not serve Secrets Manager does the value stay in the connection's row. An
API destination is an endpoint, a method and a rate limit, calling through a connection;
it is ACTIVE while its connection is AUTHORIZED (recorded). OAuth connections start
AUTHORIZING (recorded) and become AUTHORIZED once a token is obtained, in the background.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from cloudlet.core.arn import make_arn
from cloudlet.protocol.errors import ServiceError, validation_error
from cloudlet.protocol.model import service_model
from cloudlet.protocol.validate import validate
from cloudlet.services.base import RequestContext
from cloudlet.services.events.buses import page_after, page_token
from cloudlet.services.events.errors import already_exists, not_found, validation
from cloudlet.services.secretsmanager.interface import managed_secrets

if TYPE_CHECKING:
    from cloudlet.core.clock import Clock
    from cloudlet.runtime import Runtime
    from cloudlet.store.db import Store

log = logging.getLogger("cloudlet.events")

MIGRATIONS = [
    """
    CREATE TABLE events_connections (
        arn TEXT NOT NULL PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        state TEXT NOT NULL,
        data TEXT NOT NULL,
        secret_arn TEXT NOT NULL,
        secret TEXT,
        created REAL NOT NULL,
        modified REAL NOT NULL,
        authorized REAL
    );
    CREATE UNIQUE INDEX events_connections_name ON events_connections (account, region, name);
    CREATE TABLE events_api_destinations (
        arn TEXT NOT NULL PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        connection_arn TEXT NOT NULL,
        data TEXT NOT NULL,
        created REAL NOT NULL,
        modified REAL NOT NULL
    );
    CREATE UNIQUE INDEX events_api_destinations_name ON events_api_destinations (account, region, name)
    """,
]

# Shapes whose checks the mixin makes itself (AWS lists HttpMethod's values in another order
# than the model; both members are reported together, as recorded).
OWN_CHECKS = frozenset({"ApiDestinationHttpMethod", "ConnectionArn"})
# The order AWS's message lists ApiDestinationHttpMethod's values in (recorded).
HTTP_METHODS_AS_LISTED = "[HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]"

BASIC, API_KEY, OAUTH = "BASIC", "API_KEY", "OAUTH_CLIENT_CREDENTIALS"
AUTH_MEMBER = {BASIC: "BasicAuthParameters", API_KEY: "ApiKeyAuthParameters", OAUTH: "OAuthParameters"}
AUTHORIZED, AUTHORIZING, DEAUTHORIZED, DELETING = "AUTHORIZED", "AUTHORIZING", "DEAUTHORIZED", "DELETING"
DEAUTHORIZING = "DEAUTHORIZING"
DEFAULT_RATE = 300  # InvocationRateLimitPerSecond when not given (recorded)
PAGE = 100  # unverified: the default page size of ListConnections / ListApiDestinations
SECRET_PREFIX = "events!connection/"
OWNING_SERVICE = "events"  # OwningService of a connection's secret
_PARAM_LISTS = (
    ("HeaderParameters", "header_parameters"),
    ("QueryStringParameters", "query_string_parameters"),
    ("BodyParameters", "body_parameters"),
)


@dataclass
class Connection:
    arn: str
    account: str
    region: str
    name: str
    state: str
    data: dict[str, Any]  # AuthorizationType, AuthParameters (no secrets), Description, ...
    secret_arn: str
    # the secret's value when kept in the row (Secrets Manager not served, or rows written before
    # connections kept it there); None: it is in the Secrets Manager secret ``secret_arn``
    secret: dict[str, Any] | None
    created: float
    modified: float
    authorized: float | None

    @property
    def auth_type(self) -> str:
        return self.data["AuthorizationType"]


@dataclass
class ApiDestination:
    arn: str
    account: str
    region: str
    name: str
    connection_arn: str
    data: dict[str, Any]  # InvocationEndpoint, HttpMethod, InvocationRateLimitPerSecond, Description
    created: float
    modified: float


# ---- rows ------------------------------------------------------------------------------------


def _connection(row: Any) -> Connection:
    return Connection(
        row["arn"],
        row["account"],
        row["region"],
        row["name"],
        row["state"],
        orjson.loads(row["data"]),
        row["secret_arn"],
        orjson.loads(row["secret"]) if row["secret"] else None,
        row["created"],
        row["modified"],
        row["authorized"],
    )


def _destination(row: Any) -> ApiDestination:
    return ApiDestination(
        row["arn"],
        row["account"],
        row["region"],
        row["name"],
        row["connection_arn"],
        orjson.loads(row["data"]),
        row["created"],
        row["modified"],
    )


def find_connection(store: Store, arn: str) -> Connection | None:
    row = store.one("SELECT * FROM events_connections WHERE arn = ?", (arn,))
    return _connection(row) if row else None


def find_destination(store: Store, arn: str) -> ApiDestination | None:
    row = store.one("SELECT * FROM events_api_destinations WHERE arn = ?", (arn,))
    return _destination(row) if row else None


def _save_connection(store: Store, c: Connection) -> None:
    store.execute(
        "INSERT INTO events_connections (arn, account, region, name, state, data, secret_arn, secret, "
        "created, modified, authorized) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (arn) DO UPDATE SET state = excluded.state, data = excluded.data, "
        "secret_arn = excluded.secret_arn, secret = excluded.secret, modified = excluded.modified, authorized = excluded.authorized",
        (
            c.arn,
            c.account,
            c.region,
            c.name,
            c.state,
            orjson.dumps(c.data).decode(),
            c.secret_arn,
            orjson.dumps(c.secret).decode() if c.secret is not None else None,
            c.created,
            c.modified,
            c.authorized,
        ),
    )


def _save_destination(store: Store, d: ApiDestination) -> None:
    store.execute(
        "INSERT INTO events_api_destinations (arn, account, region, name, connection_arn, data, created, "
        "modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO UPDATE SET "
        "connection_arn = excluded.connection_arn, data = excluded.data, modified = excluded.modified",
        (
            d.arn,
            d.account,
            d.region,
            d.name,
            d.connection_arn,
            orjson.dumps(d.data).decode(),
            d.created,
            d.modified,
        ),
    )


# ---- the secret's value, as AWS writes it ---------------------------------------------------


def _params_secret(http: dict[str, Any]) -> dict[str, Any]:
    """``InvocationHttpParameters`` / ``OAuthHttpParameters`` in the secret (an empty one is ``{}``,
    recorded; the form of its entries is unverified)."""
    out: dict[str, Any] = {}
    for member, key in _PARAM_LISTS:
        if member in http:
            out[key] = [
                {
                    "key": p.get("Key"),
                    "value": p.get("Value"),
                    "is_value_secret": bool(p.get("IsValueSecret")),
                }
                for p in http[member] or []
            ]
    return out


def _params_of_secret(secret: dict[str, Any]) -> dict[str, Any]:
    """The API form of parameters kept in a secret."""
    out: dict[str, Any] = {}
    for member, key in _PARAM_LISTS:
        if key in secret:
            out[member] = [
                {
                    "Key": p.get("key"),
                    "Value": p.get("value"),
                    "IsValueSecret": bool(p.get("is_value_secret")),
                }
                for p in secret[key] or []
            ]
    return out


def secret_value(auth_type: str, auth: dict[str, Any]) -> dict[str, Any]:
    """The JSON a connection's secret holds (recorded keys for each kind of authorization)."""
    out: dict[str, Any] = {}
    if auth_type == BASIC:
        basic = auth.get("BasicAuthParameters") or {}
        out = {"username": basic.get("Username"), "password": basic.get("Password")}
    elif auth_type == API_KEY:
        key = auth.get("ApiKeyAuthParameters") or {}
        out = {"api_key_name": key.get("ApiKeyName"), "api_key_value": key.get("ApiKeyValue")}
    elif auth_type == OAUTH:
        oauth = auth.get("OAuthParameters") or {}
        client = oauth.get("ClientParameters") or {}
        out = {
            "client_id": client.get("ClientID"),
            "client_secret": client.get("ClientSecret"),
            "authorization_endpoint": oauth.get("AuthorizationEndpoint"),
            "http_method": oauth.get("HttpMethod"),
        }
        if "OAuthHttpParameters" in oauth:
            out["oauth_http_parameters"] = _params_secret(
                oauth["OAuthHttpParameters"] or {}
            )  # unverified key
    if "InvocationHttpParameters" in auth:
        out["invocation_http_parameters"] = _params_secret(auth["InvocationHttpParameters"] or {})
    return out


def auth_of_secret(auth_type: str, secret: dict[str, Any]) -> dict[str, Any]:
    """The AuthParameters (with their secret values) a secret's JSON holds."""
    auth: dict[str, Any] = {}
    if auth_type == BASIC:
        auth["BasicAuthParameters"] = {"Username": secret.get("username"), "Password": secret.get("password")}
    elif auth_type == API_KEY:
        auth["ApiKeyAuthParameters"] = {
            "ApiKeyName": secret.get("api_key_name"),
            "ApiKeyValue": secret.get("api_key_value"),
        }
    elif auth_type == OAUTH:
        oauth: dict[str, Any] = {
            "ClientParameters": {
                "ClientID": secret.get("client_id"),
                "ClientSecret": secret.get("client_secret"),
            },
            "AuthorizationEndpoint": secret.get("authorization_endpoint"),
            "HttpMethod": secret.get("http_method"),
        }
        if "oauth_http_parameters" in secret:
            oauth["OAuthHttpParameters"] = _params_of_secret(secret["oauth_http_parameters"] or {})
        auth["OAuthParameters"] = oauth
    if "invocation_http_parameters" in secret:
        auth["InvocationHttpParameters"] = _params_of_secret(secret["invocation_http_parameters"] or {})
    return auth


def _public_params(http: dict[str, Any]) -> dict[str, Any]:
    """HTTP parameters as DescribeConnection shows them: secret values left out (unverified)."""
    out: dict[str, Any] = {}
    for member, _ in _PARAM_LISTS:
        if member in http:
            out[member] = [
                {k: v for k, v in p.items() if not (k == "Value" and p.get("IsValueSecret"))}
                for p in http[member] or []
            ]
    return out


def public_auth(auth_type: str, auth: dict[str, Any]) -> dict[str, Any]:
    """DescribeConnection's AuthParameters: everything but the secret values (recorded)."""
    out: dict[str, Any] = {}
    if auth_type == BASIC:
        out["BasicAuthParameters"] = {"Username": (auth.get("BasicAuthParameters") or {}).get("Username")}
    elif auth_type == API_KEY:
        out["ApiKeyAuthParameters"] = {
            "ApiKeyName": (auth.get("ApiKeyAuthParameters") or {}).get("ApiKeyName")
        }
    elif auth_type == OAUTH:
        oauth = auth.get("OAuthParameters") or {}
        shown: dict[str, Any] = {
            "AuthorizationEndpoint": oauth.get("AuthorizationEndpoint"),
            "ClientParameters": {"ClientID": (oauth.get("ClientParameters") or {}).get("ClientID")},
            "HttpMethod": oauth.get("HttpMethod"),
        }
        if "OAuthHttpParameters" in oauth:
            shown["OAuthHttpParameters"] = _public_params(oauth["OAuthHttpParameters"] or {})
        out["OAuthParameters"] = shown
    if "InvocationHttpParameters" in auth:
        out["InvocationHttpParameters"] = _public_params(auth["InvocationHttpParameters"] or {})
    if "ConnectivityParameters" in auth:
        out["ConnectivityParameters"] = auth["ConnectivityParameters"]
    return out


def _merge_auth(auth_type: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """UpdateConnection's AuthParameters over the current ones (members given replace theirs)."""
    merged = {k: v for k, v in old.items() if k in ("InvocationHttpParameters", "ConnectivityParameters")}
    member = AUTH_MEMBER[auth_type]
    if member in old:
        merged[member] = old[member]
    for key, value in new.items():
        if key == member and isinstance(value, dict) and isinstance(merged.get(key), dict):
            combined = dict(merged[key])
            for k, v in value.items():
                if k == "ClientParameters" and isinstance(v, dict):
                    combined[k] = {**(combined.get(k) or {}), **v}
                else:
                    combined[k] = v
            merged[key] = combined
        elif key in ("InvocationHttpParameters", "ConnectivityParameters") or key == member:
            merged[key] = value
    return merged


def _check_auth(auth_type: str, auth: dict[str, Any]) -> None:
    """The members an authorization type needs (messages unverified)."""
    member = AUTH_MEMBER[auth_type]
    given = auth.get(member)
    if not isinstance(given, dict):
        raise validation(f"{member} must be specified for {auth_type} authorization type.")  # unverified
    others = [m for t, m in AUTH_MEMBER.items() if t != auth_type and auth.get(m) is not None]
    if others:
        # unverified: AWS's wording for more than one kind of authorization
        raise validation(f"Only {member} may be specified for {auth_type} authorization type.")
    needed = {
        BASIC: ("Username", "Password"),
        API_KEY: ("ApiKeyName", "ApiKeyValue"),
        OAUTH: ("ClientParameters", "AuthorizationEndpoint", "HttpMethod"),
    }[auth_type]
    for key in needed:
        if not given.get(key):
            raise validation(f"{member}.{key} must be specified.")  # unverified
    if auth_type == OAUTH:
        client = given["ClientParameters"]
        if not client.get("ClientID") or not client.get("ClientSecret"):
            raise validation(
                f"{member}.ClientParameters must specify ClientID and ClientSecret."
            )  # unverified
        _check_url(given["AuthorizationEndpoint"], "AuthorizationEndpoint")


def _check_url(url: str, member: str) -> None:
    """An endpoint Cloudlet can call: an http or https URL with a host (unverified message;
    AWS takes HTTPS endpoints only, Cloudlet http ones too, for local servers)."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        _ = parts.port
    except ValueError:
        ok = False
    if not ok:
        raise validation(f"Invalid {member} {url}: it must be an HTTP or HTTPS URL.")  # unverified


def _secret_name(connection: str) -> str:
    """The name of a connection's secret (recorded: ``events!connection/<name>/<uuid>``)."""
    return f"{SECRET_PREFIX}{connection}/{uuid.uuid4()}"


def _suffix() -> str:
    """The six random letters and digits ending a secret's ARN."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(6))


def _check_input(ctx: RequestContext, params: dict[str, Any]) -> None:
    """Every constraint of the operation's input, as the front end reports them together
    (the dispatcher leaves OWN_CHECKS to this), HttpMethod's values in AWS's order."""
    op = service_model("events").operation(ctx.operation)
    if op.input is None:
        return
    errors = validate(params, op.input)
    if errors:
        listed = (
            ", ".join(op.input.members["HttpMethod"].enum or []) if "HttpMethod" in op.input.members else ""
        )
        fixed = [e.replace(f"[{listed}]", HTTP_METHODS_AS_LISTED) if listed else e for e in errors]
        raise validation_error(fixed)


class ConnectionsApi:
    """The connection and API destination operations of the EventBridge provider.

    The provider calls :meth:`_init_connections` from its ``__init__``; ``call_api_destination``
    (api_destination_call.py) makes the calls."""

    own_checks = OWN_CHECKS
    store: Store
    clock: Clock
    runtime: Runtime

    def _init_connections(self) -> None:
        """Create the tables and the in-memory state of connections (OAuth tokens)."""
        self.store.migrate("events_connections", MIGRATIONS)
        # connection ARN -> (access token, expiry on the service clock or None)
        self.oauth_tokens: dict[str, tuple[str, float | None]] = {}
        self.oauth_locks: dict[str, asyncio.Lock] = {}
        self._authorizing: set[asyncio.Task[None]] = set()

    def _reset_connections(self) -> None:
        """Forget the cached OAuth tokens (the store was wiped)."""
        self.oauth_tokens.clear()
        self.oauth_locks.clear()

    def connection_counts(self) -> dict[str, int]:
        """Counts of connections and API destinations, for ``resource_counts``."""
        counts = {
            "connections": self.store.one("SELECT COUNT(*) FROM events_connections")[0],
            "api_destinations": self.store.one("SELECT COUNT(*) FROM events_api_destinations")[0],
        }
        return {k: v for k, v in counts.items() if v}

    # ---- lookups -------------------------------------------------------------------------

    def _connection_named(self, ctx: RequestContext, name: str) -> Connection | None:
        row = self.store.one(
            "SELECT * FROM events_connections WHERE account = ? AND region = ? AND name = ?",
            (ctx.account, ctx.region, name),
        )
        return _connection(row) if row else None

    def _get_connection(self, ctx: RequestContext, name: str, verb: str) -> Connection:
        found = self._connection_named(ctx, name)
        if found is None:
            # recorded for describe; the other verbs' wording is assumed alike (unverified)
            raise not_found(f"Failed to {verb} the connection(s). Connection '{name}' does not exist.")
        return found

    def _destination_named(self, ctx: RequestContext, name: str) -> ApiDestination | None:
        row = self.store.one(
            "SELECT * FROM events_api_destinations WHERE account = ? AND region = ? AND name = ?",
            (ctx.account, ctx.region, name),
        )
        return _destination(row) if row else None

    def _get_destination(self, ctx: RequestContext, name: str, verb: str) -> ApiDestination:
        found = self._destination_named(ctx, name)
        if found is None:
            # recorded for describe; the other verbs' wording is assumed alike (unverified)
            raise not_found(
                f"Failed to {verb} the api-destination(s). An api-destination '{name}' does not exist."
            )
        return found

    def destination_state(self, destination: ApiDestination) -> str:
        """ACTIVE while the destination's connection is AUTHORIZED (recorded: INACTIVE while an
        OAuth connection is AUTHORIZING)."""
        connection = find_connection(self.store, destination.connection_arn)
        return "ACTIVE" if connection is not None and connection.state == AUTHORIZED else "INACTIVE"

    # ---- the secret ----------------------------------------------------------------------

    def _write_secret(self, c: Connection, value: dict[str, Any]) -> None:
        """Keep ``value`` as the connection's secret: a new version of its Secrets Manager
        secret, or a new secret when it has none yet (created, or its secret is gone or was
        kept in the row); in the row when Secrets Manager is not served. Joins the caller's
        transaction."""
        secrets_ = managed_secrets(self.runtime)
        if secrets_ is None:
            if not c.secret_arn:
                c.secret_arn = make_arn(
                    "secretsmanager", c.region, c.account, f"secret:{_secret_name(c.name)}-{_suffix()}"
                )
            c.secret = value
            return
        text = orjson.dumps(value).decode()  # unverified: AWS's JSON spacing (its keys are recorded)
        if c.secret_arn and c.secret is None:
            try:
                secrets_.put_managed_secret_value(c.secret_arn, text)
                return
            except ServiceError as exc:
                if exc.code != "ResourceNotFoundException":
                    raise
        c.secret_arn = secrets_.create_managed_secret(
            c.account, c.region, _secret_name(c.name), text, OWNING_SERVICE
        )
        c.secret = None

    def _delete_secret(self, c: Connection) -> None:
        """Delete the connection's Secrets Manager secret at once (in the caller's transaction)."""
        secrets_ = managed_secrets(self.runtime)
        if secrets_ is not None and c.secret is None and c.secret_arn:
            secrets_.delete_managed_secret(c.secret_arn)

    def connection_secret(self, c: Connection) -> dict[str, Any]:
        """The connection's secret value, read from Secrets Manager (a ServiceError when it
        cannot be read: gone, marked for deletion, undecryptable)."""
        if c.secret is not None:
            return c.secret
        reader = managed_secrets(self.runtime)
        if reader is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Secrets Manager can't find {c.secret_arn}.", 400
            )  # unverified
        answer = reader.read_secret(c.account, c.region, c.secret_arn)
        try:
            value = orjson.loads(answer.get("SecretString") or "")
        except orjson.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            # unverified: what AWS reports for a connection secret that is not a JSON object
            raise ServiceError(
                "InvalidRequestException", f"The secret {c.secret_arn} does not hold a JSON object.", 400
            )
        return value

    # ---- OAuth authorization -------------------------------------------------------------

    def _authorize_later(self, arn: str) -> None:
        """Obtain an OAuth token for the connection ``arn`` in the background, after commit."""

        def start() -> None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # no loop (an in-process caller): authorized on the first call
            task = loop.create_task(self._authorize(arn))
            self._authorizing.add(task)
            task.add_done_callback(self._authorizing.discard)

        self.store.after_commit(start)

    async def _authorize(self, arn: str) -> None:
        from cloudlet.services.events.api_destination_call import fetch_token

        connection = find_connection(self.store, arn)
        if connection is None or connection.state != AUTHORIZING:
            return
        try:
            await fetch_token(self, connection)
        except Exception as exc:
            log.info("connection %s could not be authorized: %s", arn, exc)

    def connection_authorized(self, arn: str, ok: bool, reason: str | None = None) -> None:
        """Record the outcome of an OAuth authorization (a token obtained or refused)."""
        connection = find_connection(self.store, arn)
        if connection is None or connection.state not in (AUTHORIZING, AUTHORIZED, DEAUTHORIZED):
            return
        if connection.state == DEAUTHORIZED and connection.data.get("Deauthorized"):
            return  # DeauthorizeConnection's: only UpdateConnection authorizes again
        now = self.clock.now()
        state = AUTHORIZED if ok else DEAUTHORIZED
        if state == connection.state and ok:
            return
        connection.state = state
        if ok:
            connection.authorized = now
            connection.data.pop("StateReason", None)
        elif reason:
            connection.data["StateReason"] = reason[:512]  # unverified: AWS's reason text
        with self.store.transaction():
            _save_connection(self.store, connection)

    # ---- connections ---------------------------------------------------------------------

    def create_connection(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Name"]
        auth_type = params["AuthorizationType"]
        auth = params.get("AuthParameters") or {}
        _check_auth(auth_type, auth)
        if self._connection_named(ctx, name) is not None:
            raise already_exists(f"Connection {name} already exists.")  # unverified
        now = self.clock.now()
        data: dict[str, Any] = {
            "AuthorizationType": auth_type,
            "AuthParameters": public_auth(auth_type, auth),
        }
        for key in ("Description", "InvocationConnectivityParameters", "KmsKeyIdentifier"):
            if key in params:
                data[key] = params[key]
        state = AUTHORIZING if auth_type == OAUTH else AUTHORIZED
        connection = Connection(
            ctx.arn("events", f"connection/{name}/{uuid.uuid4()}"),
            ctx.account,
            ctx.region,
            name,
            state,
            data,
            "",  # the secret's ARN, once created (_write_secret)
            None,
            now,
            now,
            now,  # recorded: DescribeConnection shows LastAuthorizedTime even while AUTHORIZING
        )
        with self.store.transaction():
            self._write_secret(connection, secret_value(auth_type, auth))
            _save_connection(self.store, connection)
            if state == AUTHORIZING:
                self._authorize_later(connection.arn)
        return {
            "ConnectionArn": connection.arn,
            "ConnectionState": state,
            "CreationTime": now,
            "LastModifiedTime": now,
        }

    def describe_connection(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        c = self._get_connection(ctx, params["Name"], "describe")
        out: dict[str, Any] = {"ConnectionArn": c.arn, "Name": c.name}
        for key in ("Description", "InvocationConnectivityParameters"):
            if key in c.data:
                out[key] = c.data[key]
        out["ConnectionState"] = c.state
        if c.data.get("StateReason"):
            out["StateReason"] = c.data["StateReason"]
        out["AuthorizationType"] = c.auth_type
        out["SecretArn"] = c.secret_arn
        if "KmsKeyIdentifier" in c.data:
            out["KmsKeyIdentifier"] = c.data["KmsKeyIdentifier"]
        out["AuthParameters"] = c.data["AuthParameters"]
        out["CreationTime"] = c.created
        out["LastModifiedTime"] = c.modified
        if c.authorized is not None:
            out["LastAuthorizedTime"] = c.authorized
        return out

    def list_connections(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        limit = params.get("Limit") or PAGE
        after = page_after(params.get("NextToken"))
        sql = "SELECT * FROM events_connections WHERE account = ? AND region = ? AND name > ?"
        args: list[Any] = [ctx.account, ctx.region, after]
        if params.get("ConnectionState"):
            sql += " AND state = ?"
            args.append(params["ConnectionState"])
        rows = [_connection(r) for r in self.store.all(sql + " ORDER BY name", args)]
        prefix = params.get("NamePrefix") or ""
        found = [c for c in rows if c.name.startswith(prefix)]
        page = found[:limit]
        out: dict[str, Any] = {"Connections": [self._connection_entry(c) for c in page]}
        if len(found) > limit:
            out["NextToken"] = page_token(page[-1].name)
        return out

    @staticmethod
    def _connection_entry(c: Connection) -> dict[str, Any]:
        entry: dict[str, Any] = {"ConnectionArn": c.arn, "Name": c.name, "ConnectionState": c.state}
        if c.data.get("StateReason"):
            entry["StateReason"] = c.data["StateReason"]
        entry.update(
            {"AuthorizationType": c.auth_type, "CreationTime": c.created, "LastModifiedTime": c.modified}
        )
        if c.authorized is not None:
            entry["LastAuthorizedTime"] = c.authorized
        return entry

    @staticmethod
    def _connection_state(c: Connection, state: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ConnectionArn": c.arn,
            "ConnectionState": state or c.state,
            "CreationTime": c.created,
            "LastModifiedTime": c.modified,
        }
        if c.authorized is not None:
            out["LastAuthorizedTime"] = c.authorized
        return out

    def update_connection(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        c = self._get_connection(ctx, params["Name"], "update")
        auth_type = params.get("AuthorizationType") or c.auth_type
        new_auth = params.get("AuthParameters") or {}
        changes_auth = "AuthParameters" in params or auth_type != c.auth_type
        now = self.clock.now()
        with self.store.transaction():
            if changes_auth or c.state == DEAUTHORIZED:
                try:
                    current = auth_of_secret(c.auth_type, self.connection_secret(c))
                except ServiceError:
                    current = {}
                if "ConnectivityParameters" in c.data["AuthParameters"]:  # kept beside the secret
                    current["ConnectivityParameters"] = c.data["AuthParameters"]["ConnectivityParameters"]
                old = (
                    current
                    if auth_type == c.auth_type
                    else {
                        k: v
                        for k, v in current.items()
                        if k in ("InvocationHttpParameters", "ConnectivityParameters")
                    }
                )
                auth = _merge_auth(auth_type, old, new_auth)
                _check_auth(auth_type, auth)
                c.data["AuthorizationType"] = auth_type
                c.data["AuthParameters"] = public_auth(auth_type, auth)
                self._write_secret(c, secret_value(auth_type, auth))
                self.oauth_tokens.pop(c.arn, None)
                c.data.pop("Deauthorized", None)
                c.data.pop("StateReason", None)
                c.state = AUTHORIZING if auth_type == OAUTH else AUTHORIZED
                c.authorized = now
            for key in ("Description", "InvocationConnectivityParameters", "KmsKeyIdentifier"):
                if key in params:
                    c.data[key] = params[key]
            c.modified = now
            _save_connection(self.store, c)
            if c.state == AUTHORIZING:
                self._authorize_later(c.arn)
        return self._connection_state(c)

    def delete_connection(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        c = self._get_connection(ctx, params["Name"], "delete")
        with self.store.transaction():
            # unverified: AWS may refuse to delete a connection its API destinations use; here
            # they stay, INACTIVE, until given another connection
            self.store.execute("DELETE FROM events_connections WHERE arn = ?", (c.arn,))
            self._delete_secret(c)
        self.oauth_tokens.pop(c.arn, None)
        return self._connection_state(c, DELETING)  # recorded: DELETING, then gone

    def deauthorize_connection(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        c = self._get_connection(ctx, params["Name"], "deauthorize")
        now = self.clock.now()
        c.state = DEAUTHORIZED
        c.data["Deauthorized"] = True
        c.modified = now
        with self.store.transaction():
            _save_connection(self.store, c)
        self.oauth_tokens.pop(c.arn, None)
        # unverified: AWS answers DEAUTHORIZING, then shows DEAUTHORIZED; the secret is kept
        return self._connection_state(c, DEAUTHORIZING)

    # ---- API destinations ----------------------------------------------------------------

    def _connection_for(self, ctx: RequestContext, arn: str, verb: str) -> Connection:
        c = find_connection(self.store, arn)
        if c is None or c.account != ctx.account or c.region != ctx.region:
            name = arn.split("/")[1] if arn.count("/") >= 2 else arn
            # unverified: AWS's wording
            raise not_found(f"Failed to {verb} the api-destination(s). Connection '{name}' does not exist.")
        return c

    def create_api_destination(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_input(ctx, params)
        name = params["Name"]
        connection = self._connection_for(ctx, params["ConnectionArn"], "create")
        _check_url(params["InvocationEndpoint"], "InvocationEndpoint")
        if self._destination_named(ctx, name) is not None:
            raise already_exists(f"An api-destination '{name}' already exists.")  # unverified
        now = self.clock.now()
        data: dict[str, Any] = {
            "InvocationEndpoint": params["InvocationEndpoint"],
            "HttpMethod": params["HttpMethod"],
            "InvocationRateLimitPerSecond": params.get("InvocationRateLimitPerSecond") or DEFAULT_RATE,
        }
        if "Description" in params:
            data["Description"] = params["Description"]
        destination = ApiDestination(
            ctx.arn("events", f"api-destination/{name}/{uuid.uuid4()}"),
            ctx.account,
            ctx.region,
            name,
            connection.arn,
            data,
            now,
            now,
        )
        with self.store.transaction():
            _save_destination(self.store, destination)
        return {
            "ApiDestinationArn": destination.arn,
            "ApiDestinationState": self.destination_state(destination),
            "CreationTime": now,
            "LastModifiedTime": now,
        }

    def _destination_view(self, d: ApiDestination, *, listing: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"ApiDestinationArn": d.arn, "Name": d.name}
        if "Description" in d.data and not listing:
            out["Description"] = d.data["Description"]
        out.update(
            {
                "ApiDestinationState": self.destination_state(d),
                "ConnectionArn": d.connection_arn,
                "InvocationEndpoint": d.data["InvocationEndpoint"],
                "HttpMethod": d.data["HttpMethod"],
                "InvocationRateLimitPerSecond": d.data["InvocationRateLimitPerSecond"],
                "CreationTime": d.created,
                "LastModifiedTime": d.modified,
            }
        )
        return out

    def describe_api_destination(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._destination_view(self._get_destination(ctx, params["Name"], "describe"))

    def list_api_destinations(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_input(ctx, params)
        limit = params.get("Limit") or PAGE
        after = page_after(params.get("NextToken"))
        sql = "SELECT * FROM events_api_destinations WHERE account = ? AND region = ? AND name > ?"
        args: list[Any] = [ctx.account, ctx.region, after]
        if params.get("ConnectionArn"):
            sql += " AND connection_arn = ?"
            args.append(params["ConnectionArn"])
        rows = [_destination(r) for r in self.store.all(sql + " ORDER BY name", args)]
        prefix = params.get("NamePrefix") or ""
        found = [d for d in rows if d.name.startswith(prefix)]
        page = found[:limit]
        out: dict[str, Any] = {"ApiDestinations": [self._destination_view(d, listing=True) for d in page]}
        if len(found) > limit:
            out["NextToken"] = page_token(page[-1].name)
        return out

    def update_api_destination(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_input(ctx, params)
        d = self._get_destination(ctx, params["Name"], "update")
        if params.get("ConnectionArn"):
            d.connection_arn = self._connection_for(ctx, params["ConnectionArn"], "update").arn
        if params.get("InvocationEndpoint"):
            _check_url(params["InvocationEndpoint"], "InvocationEndpoint")
        for key in ("InvocationEndpoint", "HttpMethod", "InvocationRateLimitPerSecond", "Description"):
            if params.get(key) is not None:
                d.data[key] = params[key]
        d.modified = self.clock.now()
        with self.store.transaction():
            _save_destination(self.store, d)
        return {
            "ApiDestinationArn": d.arn,
            "ApiDestinationState": self.destination_state(d),
            "CreationTime": d.created,
            "LastModifiedTime": d.modified,
        }

    def delete_api_destination(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        d = self._get_destination(ctx, params["Name"], "delete")
        with self.store.transaction():
            self.store.execute("DELETE FROM events_api_destinations WHERE arn = ?", (d.arn,))
        return {}
