"""Resharding: SplitShard, MergeShards and UpdateShardCount's uniform scaling.

A reshard closes its parent shards and opens their children at one instant of the service
clock, in the caller's transaction: a parent's ``end_seq`` is its last position written, so
its records stay readable (until retention trims them) and reads end after the last one; a
child starts at a position past both that instant and its parents' last positions. Children
take the next shard indexes (``shardId-<index>``); a split's lower half comes first.

Uniform scaling reaches ``hash_ranges(target)`` with splits and merges only, left to right,
as Kinesis does (short-lived shards included): going from four shards to three splits shard 1
(into 4 and 5) and merges 0 with 4 into 6, splits 2 (into 7 and 8) and merges 5 with 7 into
9, then merges 8 with 3 into 10. An open shard that already has a target's range stays open.
"""

from __future__ import annotations

from cloudlet.services.kinesis.shards import hash_ranges, shard_id
from cloudlet.services.kinesis.store import KinesisStore, ShardRow, StreamRow


class Reshard:
    """The shard changes of one request on one stream, written as they are made."""

    def __init__(self, db: KinesisStore, stream: StreamRow, now: float) -> None:
        self.db = db
        self.stream = stream
        self.now = now
        self.floor = int(now * 1000) * 1000  # positions are arrival milliseconds x 1000
        self.next_index = max((s.index for s in db.shards(stream.arn)), default=-1) + 1

    def _close(self, shard: ShardRow) -> None:
        self.db.close_shard(self.stream.arn, shard.index, self.now, shard.last_seq)
        shard.closed, shard.end_seq = self.now, shard.last_seq

    def _child(self, start: int, end: int, parents: list[ShardRow]) -> ShardRow:
        base = max(self.floor, *(p.last_seq for p in parents))
        index = self.next_index
        self.next_index += 1
        child = ShardRow(
            self.stream.arn,
            index,
            shard_id(index),
            parents[0].shard_id,
            parents[1].shard_id if len(parents) > 1 else None,
            start,
            end,
            self.now,
            base,
            base,
            base,
            None,
            None,
        )
        self.db.add_shard(child)
        return child

    def split(self, shard: ShardRow, new_start: int) -> tuple[ShardRow, ShardRow]:
        """Close ``shard``; its children hold ``[start, new_start - 1]`` and ``[new_start, end]``."""
        self._close(shard)
        low = self._child(shard.start_hash, new_start - 1, [shard])
        high = self._child(new_start, shard.end_hash, [shard])
        return low, high

    def merge(self, shard: ShardRow, adjacent: ShardRow) -> ShardRow:
        """Close two adjacent shards; their child (parent ``shard``, adjacent parent
        ``adjacent``) holds both ranges."""
        self._close(shard)
        self._close(adjacent)
        start = min(shard.start_hash, adjacent.start_hash)
        end = max(shard.end_hash, adjacent.end_hash)
        return self._child(start, end, [shard, adjacent])

    def uniform(self, open_shards: list[ShardRow], target: int) -> list[ShardRow]:
        """Split and merge ``open_shards`` (which cover the hash key space) into ``target``
        shards of equal ranges; returns the open shards that result."""
        queue = sorted(open_shards, key=lambda s: s.start_hash)
        result: list[ShardRow] = []
        for _, end in hash_ranges(target):
            pieces: list[ShardRow] = []
            while True:
                shard = queue.pop(0)
                if shard.end_hash <= end:
                    pieces.append(shard)
                    if shard.end_hash == end:
                        break
                else:
                    low, high = self.split(shard, end + 1)
                    pieces.append(low)
                    queue.insert(0, high)
                    break
            merged = pieces[0]
            for piece in pieces[1:]:
                merged = self.merge(merged, piece)
            result.append(merged)
        return result
