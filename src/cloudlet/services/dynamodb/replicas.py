"""Global tables, version 2019.11.21: replicas of a table in other regions of the same account.

A replica is an ordinary table of the same name in another region; every member of the group
keeps the list of the *other* members' regions (``Replicas`` in its definition, in creation
order, as each region sees it on AWS). Writes are replicated to every member as they happen,
inside the writing request's transaction, each replica keeping its own index entries and
stream records: replication lag is zero here and the last writer wins trivially, where AWS
replicates within about a second. Settings AWS applies group-wide (global secondary indexes,
billing mode and throughput, table class, encryption, TTL) are applied to every member;
tags, deletion protection, point-in-time recovery and Contributor Insights stay regional.

AWS's behaviour comes from its documentation and from measurements users published (the
messages quoted below); what neither settles is marked unverified. A new replica is ACTIVE
at once (AWS takes 15 to 50 s for an empty table, minutes with data); the table's items are
copied into it as GSIs are backfilled (sweeps.py: a thousand within the request, the rest in
background steps on the clock, the replica CREATING in its source's description meanwhile).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cloudlet.core import ids
from cloudlet.core.arn import make_arn
from cloudlet.core.regions import is_region, known_regions
from cloudlet.services.dynamodb.sweeps import COPYING
from cloudlet.services.dynamodb.tables import Table, invalid, invalid_parameters

if TYPE_CHECKING:
    from cloudlet.services.base import RequestContext
    from cloudlet.services.dynamodb.provider import DynamoDBProvider

VERSION = "2019.11.21"
# UpdateTable parameters whose change AWS applies to every replica (measured by users; the
# rest — deletion protection, tags, PITR, Contributor Insights — stay regional).
GROUP_WIDE = (
    "AttributeDefinitions",
    "GlobalSecondaryIndexUpdates",
    "BillingMode",
    "ProvisionedThroughput",
    "TableClass",
    "SSESpecification",
    "OnDemandThroughput",
)
# Keys of a stored definition that belong to one region's table and are not copied to a replica.
_REGIONAL = (
    "TableArn",
    "TableId",
    "CreationDateTime",
    "LatestStreamLabel",
    "LatestStreamArn",
    "DeletionProtectionEnabled",
    "Replicas",
    "GlobalTableVersion",
    "KinesisDestinations",  # a table's Kinesis streaming destinations are its own region's
    COPYING,
)
_REGIONAL_PREFIXES = ("ContinuousBackups", "PointInTime", "ContributorInsights")


def regions(table: Table) -> list[str]:
    """The regions of the table's replicas (the other members of its global table)."""
    return list(table.definition.get("Replicas") or ())


def describe(table: Table) -> dict[str, Any]:
    """``Replicas`` and ``GlobalTableVersion`` of a TableDescription (empty for a regional table)."""
    others = regions(table)
    if not others:
        return {}
    gsis = [{"IndexName": g["IndexName"]} for g in table.definition.get("GlobalSecondaryIndexes") or []]
    replicas = []
    for region in others:
        copying = region in (table.definition.get(COPYING) or {})
        entry: dict[str, Any] = {"RegionName": region, "ReplicaStatus": "CREATING" if copying else "ACTIVE"}
        if gsis:
            entry["GlobalSecondaryIndexes"] = copy.deepcopy(gsis)  # unverified: names only, no overrides
        replicas.append(entry)
    return {"GlobalTableVersion": VERSION, "Replicas": replicas}


def _not_members(missing: list[str]) -> Exception:
    return invalid(
        "Update global table operation failed because one or more replicas were not part of the global "
        f"table. Please retry the request without these replicas: [{', '.join(missing)}]."
    )


def check_request(table: Table, params: dict[str, Any], changes: tuple[str, ...]) -> list[dict[str, Any]]:
    """The ReplicaUpdates of an UpdateTable call, checked as AWS checks them before anything else."""
    updates = params.get("ReplicaUpdates")
    if updates is None:
        spec = params.get("StreamSpecification")
        if spec is not None and not spec.get("StreamEnabled") and regions(table):
            # Measured on AWS; enabling again answers "already has an enabled stream" as anywhere.
            raise invalid_parameters("Disabling Stream is not allowed for a Global Table replica.")
        return []
    others = [name for name in changes if name != "ReplicaUpdates" and params.get(name) is not None]
    if others:
        # unverified wording (AWS refuses the mix before any state check, as measured)
        raise invalid_parameters("ReplicaUpdates must be the only operation in the request")
    actions: list[tuple[str, str, dict[str, Any]]] = []
    for update in updates:
        kinds = [k for k in ("Create", "Update", "Delete") if update.get(k) is not None]
        if len(kinds) != 1:
            raise invalid("There are no actions specified in the Replica Update Action of the request.")
        action = update[kinds[0]]
        actions.append((kinds[0], action.get("RegionName", ""), action))
    if not actions:
        raise invalid("There are no actions specified in the Replica Update Action of the request.")
    if len({kind for kind, _, _ in actions}) > 1:
        raise invalid("Update table operation with more than one type of replica actions not allowed.")
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, region, action in actions:
        if (kind, region) in unique and unique[(kind, region)] != action:
            raise invalid("Cannot target multiple regions with the same action")  # unverified: when exactly
        unique[(kind, region)] = action
    creates_or_deletes = [key for key in unique if key[0] in ("Create", "Delete")]
    if len(creates_or_deletes) > 1:
        raise invalid(
            "Update table operation with more than one create or delete replica actions not allowed"
        )
    for _, region in unique:
        if not is_region(region):
            raise invalid(  # the list's order on AWS: unverified
                f"Region {region} is not supported. The latest version of global tables are only supported "
                f"in the following regions: [{', '.join(sorted(known_regions()))}]."
            )
        if region == table.region:
            raise invalid(
                "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, DeleteTable, "
                "or UpdateTable as required."
            )
    return [{"Kind": kind, "RegionName": region, **action} for (kind, region), action in unique.items()]


class Replicas:
    """The global tables of one provider: membership, replicated writes, group-wide settings."""

    def __init__(self, provider: DynamoDBProvider) -> None:
        self.provider = provider
        self.db = provider.db

    def peers(self, table: Table) -> Iterator[Table]:
        """The other members' tables (a member deleted meanwhile is skipped)."""
        for region in regions(table):
            peer = self.db.get_table(table.account, region, table.name)
            if peer is not None:
                yield peer

    # -- membership --
    def apply(self, ctx: RequestContext, table: Table, actions: list[dict[str, Any]]) -> None:
        """Create, update or delete replicas (inside the caller's transaction)."""
        for action in actions:
            region = action["RegionName"]
            if action["Kind"] == "Create":
                self._create(ctx, table, region)
            elif region not in regions(table):
                raise _not_members([region])
            elif action["Kind"] == "Delete":
                peer = self.db.get_table(table.account, region, table.name)
                if peer is not None and peer.definition.get("DeletionProtectionEnabled"):
                    raise invalid(  # measured on AWS; the replica variant of DeleteTable's message
                        f"Cannot delete table {table.name} in region {region} because it has deletion "
                        "protection enabled. Disable deletion protection first."
                    )
                if peer is not None:
                    self.provider.drop_table(peer)
                self.leave(table.account, table.name, region, [table.region, *regions(table)])
            else:
                self._update(table, region, action)

    def _create(self, ctx: RequestContext, table: Table, region: str) -> None:
        if region in regions(table) or self.db.get_table(table.account, region, table.name) is not None:
            raise invalid(
                f"Failed to create a the new replica of table with name: \u2018{table.name}\u2019 because one "
                "or more replicas already existed as tables."
            )
        now = self.provider.clock.now()
        if not table.stream_view:  # AWS turns the stream on itself (measured), kept afterwards
            self.provider.open_stream(table, {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        definition = {
            k: copy.deepcopy(v)
            for k, v in table.definition.items()
            if k not in _REGIONAL and not k.startswith(_REGIONAL_PREFIXES)
        }
        for gsi in definition.get("GlobalSecondaryIndexes") or []:
            gsi.pop("IndexStatus", None)
            gsi.pop("Backfill", None)
        arn = make_arn("dynamodb", region, table.account, f"table/{table.name}")
        definition.update(TableArn=arn, TableId=ids.uuid4(), CreationDateTime=now, TableStatus="ACTIVE")
        if table.stream_view:
            self.provider.set_stream(definition, dict(table.definition["StreamSpecification"]), now, arn)
        group = sorted((table, *self.peers(table)), key=lambda t: t.definition["CreationDateTime"])
        definition["Replicas"] = [t.region for t in group]  # creation order, as AWS lists them
        replica = self.db.create_table(table.account, region, table.name, definition, {})
        if replica.stream_view:
            self.provider.streams.open(replica)
        for peer in [table, *self.peers(table)]:
            if peer is replica:
                continue
            peer.definition["Replicas"] = [*regions(peer), region]
            self.db.save_table(peer)
        # The items, with their index entries, without stream records (unverified whether AWS's
        # initial copy shows in the replica's stream): the first thousand now, the rest in steps.
        self.provider.sweeps.copy_to_replica(table, region)

    def _update(self, table: Table, region: str, action: dict[str, Any]) -> None:
        """ReplicaUpdates Update: the overrides of one replica (table class; throughput overrides
        are accepted and not echoed, as measured)."""
        fields = [k for k in action if k not in ("Kind", "RegionName")]
        if not fields:
            raise invalid("There are no actions specified in the Replica Update Action of the request.")
        if action.get("KMSMasterKeyId") is not None:
            raise invalid_parameters("KMSMasterKeyId cannot be updated for a replica")  # unverified wording
        peer = self.db.get_table(table.account, region, table.name)
        if peer is not None and action.get("TableClassOverride"):
            peer.definition["TableClass"] = action["TableClassOverride"]
            self.db.save_table(peer)

    def leave(self, account: str, name: str, region: str, members: list[str]) -> None:
        """Take ``region`` out of the group whose members are in ``members``."""
        for member in members:
            if member == region:
                continue
            peer = self.db.get_table(account, member, name)
            if peer is None or region not in regions(peer):
                continue
            rest = [r for r in regions(peer) if r != region]
            if rest:
                peer.definition["Replicas"] = rest
            else:
                peer.definition.pop("Replicas", None)
            self.db.save_table(peer)

    # -- replication --
    def replicate(
        self,
        table: Table,
        pk: bytes,
        sk: bytes,
        new: dict[str, Any] | None,
        new_size: int,
        service_delete: bool,
    ) -> None:
        """A write made to ``table`` made to every other member too (each records it in its stream)."""
        for peer in self.peers(table):
            old = self.db.get(peer, pk, sk)
            self.provider.write(
                peer, pk, sk, old, new, new_size, service_delete=service_delete, replicate=False
            )

    def fan_out(self, ctx: RequestContext, table: Table, params: dict[str, Any]) -> None:
        """The group-wide part of an UpdateTable made on ``table``, made on every other member."""
        shared = {name: params[name] for name in GROUP_WIDE if params.get(name) is not None}
        if not shared:
            return
        for peer in list(self.peers(table)):
            peer_ctx = dataclasses.replace(ctx, region=peer.region)
            self.provider.update_table(peer_ctx, {"TableName": peer.name, **shared}, fan_out=False)
