"""Lambda's state: functions and their versions, aliases, per-qualifier settings, layers.

Documents are JSON in the AWS shapes the operations answer (plus a few internal keys that
start with ``_``); the SQL stays within what SQLite and PostgreSQL both accept.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE lambda_functions (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (account, region, name)
    );
    CREATE TABLE lambda_versions (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        seq INTEGER NOT NULL,
        code_id TEXT,
        config TEXT NOT NULL,
        PRIMARY KEY (account, region, name, version)
    );
    CREATE TABLE lambda_aliases (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (account, region, name, alias)
    );
    CREATE TABLE lambda_settings (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        qualifier TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (account, region, name, kind, qualifier)
    );
    CREATE TABLE lambda_layers (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        code_id TEXT,
        doc TEXT NOT NULL,
        policy TEXT,
        PRIMARY KEY (account, region, name, version)
    );
    CREATE TABLE lambda_layer_names (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        last_version INTEGER NOT NULL,
        PRIMARY KEY (account, region, name)
    )
    """,
    # where each stream event source mapping stands in each shard ('' position: from the oldest
    # record; finished: a closed shard read to its end), and its tumbling window's state
    """
    CREATE TABLE lambda_esm_positions (
        mapping_id TEXT NOT NULL,
        shard_id TEXT NOT NULL,
        position TEXT NOT NULL,
        finished INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (mapping_id, shard_id)
    )
    """,
]

Doc = dict[str, Any]


def _dump(doc: Any) -> str:
    return orjson.dumps(doc).decode()


def _seq(version: str) -> int:
    return 0 if version == "$LATEST" else int(version)


class LambdaStore:
    """The SQL of the Lambda control plane."""

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("lambda", MIGRATIONS)
        self.settings_generation = 0  # bumped when settings change (commit): caches compare it

    def _settings_changed(self) -> None:
        self.db.after_commit(self._bump)

    def _bump(self) -> None:
        self.settings_generation += 1

    # -- functions --
    def function(self, account: str, region: str, name: str) -> Doc | None:
        row = self.db.one(
            "SELECT doc FROM lambda_functions WHERE account = ? AND region = ? AND name = ?",
            (account, region, name),
        )
        return orjson.loads(row[0]) if row else None

    def functions(self, account: str, region: str) -> list[str]:
        rows = self.db.all(
            "SELECT name FROM lambda_functions WHERE account = ? AND region = ? ORDER BY name",
            (account, region),
        )
        return [r[0] for r in rows]

    def put_function(self, account: str, region: str, name: str, doc: Doc, *, new: bool = False) -> None:
        if new:
            self.db.execute(
                "INSERT INTO lambda_functions (account, region, name, doc) VALUES (?, ?, ?, ?)",
                (account, region, name, _dump(doc)),
            )
        else:
            self.db.execute(
                "UPDATE lambda_functions SET doc = ? WHERE account = ? AND region = ? AND name = ?",
                (_dump(doc), account, region, name),
            )

    def delete_function(self, account: str, region: str, name: str) -> None:
        for table in ("lambda_functions", "lambda_versions", "lambda_aliases", "lambda_settings"):
            self.db.execute(
                f"DELETE FROM {table} WHERE account = ? AND region = ? AND name = ?", (account, region, name)
            )
        self._settings_changed()

    def count(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM lambda_functions")
        return int(row[0]) if row else 0

    # -- versions --
    def version(self, account: str, region: str, name: str, version: str) -> Doc | None:
        row = self.db.one(
            "SELECT config, code_id FROM lambda_versions WHERE account = ? AND region = ? AND name = ? AND version = ?",
            (account, region, name, version),
        )
        if row is None:
            return None
        config: Doc = orjson.loads(row[0])
        config["_code_id"] = row[1]
        return config

    def versions(self, account: str, region: str, name: str) -> list[Doc]:
        rows = self.db.all(
            "SELECT config, code_id FROM lambda_versions WHERE account = ? AND region = ? AND name = ? ORDER BY seq",
            (account, region, name),
        )
        out = []
        for row in rows:
            config = orjson.loads(row[0])
            config["_code_id"] = row[1]
            out.append(config)
        return out

    def put_version(self, account: str, region: str, name: str, config: Doc) -> None:
        version = config["Version"]
        # internal members stay out, but a hot-reload directory (local_code.py) is kept
        stored = {k: v for k, v in config.items() if not k.startswith("_") or k == "_hot_reload_dir"}
        self.db.execute(
            "INSERT INTO lambda_versions (account, region, name, version, seq, code_id, config) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, name, version) "
            "DO UPDATE SET code_id = excluded.code_id, config = excluded.config",
            (account, region, name, version, _seq(version), config.get("_code_id"), _dump(stored)),
        )

    def delete_version(self, account: str, region: str, name: str, version: str) -> None:
        self.db.execute(
            "DELETE FROM lambda_versions WHERE account = ? AND region = ? AND name = ? AND version = ?",
            (account, region, name, version),
        )

    # -- aliases --
    def alias(self, account: str, region: str, name: str, alias: str) -> Doc | None:
        row = self.db.one(
            "SELECT doc FROM lambda_aliases WHERE account = ? AND region = ? AND name = ? AND alias = ?",
            (account, region, name, alias),
        )
        return orjson.loads(row[0]) if row else None

    def aliases(self, account: str, region: str, name: str) -> list[Doc]:
        rows = self.db.all(
            "SELECT doc FROM lambda_aliases WHERE account = ? AND region = ? AND name = ? ORDER BY alias",
            (account, region, name),
        )
        return [orjson.loads(r[0]) for r in rows]

    def put_alias(self, account: str, region: str, name: str, doc: Doc) -> None:
        self.db.execute(
            "INSERT INTO lambda_aliases (account, region, name, alias, doc) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (account, region, name, alias) DO UPDATE SET doc = excluded.doc",
            (account, region, name, doc["Name"], _dump(doc)),
        )

    def delete_alias(self, account: str, region: str, name: str, alias: str) -> None:
        self.db.execute(
            "DELETE FROM lambda_aliases WHERE account = ? AND region = ? AND name = ? AND alias = ?",
            (account, region, name, alias),
        )

    # -- settings per qualifier: policy, url, invoke (event invoke config), provisioned --
    def setting(self, account: str, region: str, name: str, kind: str, qualifier: str) -> Doc | None:
        row = self.db.one(
            "SELECT doc FROM lambda_settings WHERE account = ? AND region = ? AND name = ? AND kind = ? "
            "AND qualifier = ?",
            (account, region, name, kind, qualifier),
        )
        return orjson.loads(row[0]) if row else None

    def settings(self, account: str, region: str, name: str, kind: str) -> dict[str, Doc]:
        rows = self.db.all(
            "SELECT qualifier, doc FROM lambda_settings WHERE account = ? AND region = ? AND name = ? AND kind = ? "
            "ORDER BY qualifier",
            (account, region, name, kind),
        )
        return {r[0]: orjson.loads(r[1]) for r in rows}

    def url_config(self, url_id: str) -> Doc | None:
        """The function URL config whose URL has the id ``url_id`` (``[a-z0-9]+``, checked by
        the caller), wherever it lives (urls.py serves it)."""
        row = self.db.one(
            "SELECT doc FROM lambda_settings WHERE kind = 'url' AND doc LIKE ?",
            (f'%"FunctionUrl":"http://{url_id}.lambda-url.%',),
        )
        return orjson.loads(row[0]) if row else None

    def put_setting(self, account: str, region: str, name: str, kind: str, qualifier: str, doc: Doc) -> None:
        self.db.execute(
            "INSERT INTO lambda_settings (account, region, name, kind, qualifier, doc) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (account, region, name, kind, qualifier) DO UPDATE SET doc = excluded.doc",
            (account, region, name, kind, qualifier, _dump(doc)),
        )
        self._settings_changed()

    def delete_setting(
        self, account: str, region: str, name: str, kind: str, qualifier: str | None = None
    ) -> None:
        sql = "DELETE FROM lambda_settings WHERE account = ? AND region = ? AND name = ? AND kind = ?"
        args: tuple[Any, ...] = (account, region, name, kind)
        if qualifier is not None:
            sql += " AND qualifier = ?"
            args += (qualifier,)
        self.db.execute(sql, args)
        self._settings_changed()

    def delete_qualifier(self, account: str, region: str, name: str, qualifier: str) -> None:
        self.db.execute(
            "DELETE FROM lambda_settings WHERE account = ? AND region = ? AND name = ? AND qualifier = ?",
            (account, region, name, qualifier),
        )
        self._settings_changed()

    def reserved_total(self, account: str, region: str, skip: str = "") -> int:
        rows = self.db.all(
            "SELECT name, doc FROM lambda_settings WHERE account = ? AND region = ? AND kind = 'concurrency'",
            (account, region),
        )
        return sum(orjson.loads(r[1])["ReservedConcurrentExecutions"] for r in rows if r[0] != skip)

    def provisioned_everywhere(self) -> list[tuple[str, str, str, str]]:
        """(account, region, function, qualifier) of every provisioned concurrency config."""
        rows = self.db.all(
            "SELECT account, region, name, qualifier FROM lambda_settings WHERE kind = 'provisioned'"
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def positions(self, mapping_id: str) -> dict[str, tuple[str, bool, Doc]]:
        """shard id -> (position, finished, state) of a stream mapping's checkpoints."""
        rows = self.db.all(
            "SELECT shard_id, position, finished, doc FROM lambda_esm_positions WHERE mapping_id = ?",
            (mapping_id,),
        )
        return {r[0]: (r[1], bool(r[2]), orjson.loads(r[3])) for r in rows}

    def put_position(
        self, mapping_id: str, shard_id: str, position: str, finished: bool = False, state: Doc | None = None
    ) -> None:
        self.db.execute(
            "INSERT INTO lambda_esm_positions (mapping_id, shard_id, position, finished, doc) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (mapping_id, shard_id) DO UPDATE SET "
            "position = excluded.position, finished = excluded.finished, doc = excluded.doc",
            (mapping_id, shard_id, position, int(finished), _dump(state or {})),
        )

    def delete_positions(self, mapping_id: str) -> None:
        self.db.execute("DELETE FROM lambda_esm_positions WHERE mapping_id = ?", (mapping_id,))

    def settings_everywhere(self, kind: str) -> list[Doc]:
        """Every setting of ``kind`` in every account and Region (event source mappings to resume)."""
        return [
            orjson.loads(r[0]) for r in self.db.all("SELECT doc FROM lambda_settings WHERE kind = ?", (kind,))
        ]

    def concurrency_settings(self, account: str, region: str) -> list[tuple[str, str, str, Doc]]:
        """(function, kind, qualifier, doc) of every reserved and provisioned concurrency setting."""
        rows = self.db.all(
            "SELECT name, kind, qualifier, doc FROM lambda_settings WHERE account = ? AND region = ? "
            "AND kind IN ('concurrency', 'provisioned')",
            (account, region),
        )
        return [(r[0], r[1], r[2], orjson.loads(r[3])) for r in rows]

    # -- layers --
    def layer_version(self, account: str, region: str, name: str, version: int) -> Doc | None:
        row = self.db.one(
            "SELECT doc, code_id, policy FROM lambda_layers WHERE account = ? AND region = ? AND name = ? "
            "AND version = ?",
            (account, region, name, version),
        )
        if row is None:
            return None
        doc: Doc = orjson.loads(row[0])
        doc["_code_id"] = row[1]
        doc["_policy"] = orjson.loads(row[2]) if row[2] else None
        return doc

    def layer_versions(self, account: str, region: str, name: str | None = None) -> list[Doc]:
        sql = "SELECT doc FROM lambda_layers WHERE account = ? AND region = ?"
        args: tuple[Any, ...] = (account, region)
        if name is not None:
            sql += " AND name = ?"
            args += (name,)
        rows = self.db.all(sql + " ORDER BY name, version DESC", args)
        return [orjson.loads(r[0]) for r in rows]

    def next_layer_version(self, account: str, region: str, name: str) -> int:
        row = self.db.one(
            "SELECT last_version FROM lambda_layer_names WHERE account = ? AND region = ? AND name = ?",
            (account, region, name),
        )
        version = (int(row[0]) if row else 0) + 1
        self.db.execute(
            "INSERT INTO lambda_layer_names (account, region, name, last_version) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account, region, name) DO UPDATE SET last_version = excluded.last_version",
            (account, region, name, version),
        )
        return version

    def put_layer_version(self, account: str, region: str, name: str, doc: Doc) -> None:
        stored = {k: v for k, v in doc.items() if k not in ("_code_id", "_policy")}
        self.db.execute(
            "INSERT INTO lambda_layers (account, region, name, version, code_id, doc, policy) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, name, version) "
            "DO UPDATE SET doc = excluded.doc, policy = excluded.policy",
            (
                account,
                region,
                name,
                doc["Version"],
                doc.get("_code_id"),
                _dump(stored),
                _dump(doc["_policy"]) if doc.get("_policy") else None,
            ),
        )

    def delete_layer_version(self, account: str, region: str, name: str, version: int) -> None:
        self.db.execute(
            "DELETE FROM lambda_layers WHERE account = ? AND region = ? AND name = ? AND version = ?",
            (account, region, name, version),
        )

    # -- packages --
    def code_ids(self) -> set[str]:
        ids = {r[0] for r in self.db.all("SELECT DISTINCT code_id FROM lambda_versions") if r[0]}
        return ids | {r[0] for r in self.db.all("SELECT DISTINCT code_id FROM lambda_layers") if r[0]}

    def code_used(self, code_id: str) -> bool:
        return bool(
            self.db.one("SELECT 1 FROM lambda_versions WHERE code_id = ?", (code_id,))
            or self.db.one("SELECT 1 FROM lambda_layers WHERE code_id = ?", (code_id,))
        )

    def total_code_size(self, account: str, region: str) -> int:
        total = 0
        for row in self.db.all(
            "SELECT config FROM lambda_versions WHERE account = ? AND region = ?", (account, region)
        ):
            total += int(orjson.loads(row[0]).get("CodeSize") or 0)
        for row in self.db.all(
            "SELECT doc FROM lambda_layers WHERE account = ? AND region = ?", (account, region)
        ):
            total += int(orjson.loads(row[0]).get("Content", {}).get("CodeSize") or 0)
        return total
