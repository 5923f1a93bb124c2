"""Enhanced fan-out: RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers,
DeregisterStreamConsumer, DeleteStream's EnforceConsumerDeletion, and SubscribeToShard read
through boto3's event stream support.

Recorded (``aws-reference/kinesis``): consumers listed and described ``ACTIVE`` with these
fields, and a subscription's event with Records, ContinuationSequenceNumber and
MillisBehindLatest 0. The ResourceInUseException of a second subscription within 5 s is AWS's
words as quoted in public issue reports; other messages are unverified (codes checked only).
"""

from __future__ import annotations

import contextlib
import datetime
import queue
import re
import socket
import threading
import time
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

from .conftest import ACCOUNT, REGION, code_of, error_of, stream_arn

SHARD = "shardId-000000000000"


@pytest.fixture
def efo(aws_client):
    return aws_client("kinesis", config=Config(retries={"max_attempts": 1}, read_timeout=30))


class Reader:
    """Reads a subscription's events in a thread, so a test can wait for them with a deadline."""

    def __init__(self, response: dict[str, Any]) -> None:
        self.stream = response["EventStream"]
        self.events: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for event in self.stream:
                self.events.put(event["SubscribeToShardEvent"])
        except Exception as exc:
            self.events.put(exc)
        self.events.put(None)

    def next(self, within: float = 10.0) -> Any:
        item = self.events.get(timeout=within)
        if isinstance(item, Exception):
            raise item
        return item

    def records(self, count: int, within: float = 10.0) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + within
        while len(found) < count:
            event = self.next(max(0.1, deadline - time.monotonic()))
            assert event is not None, "the subscription ended"
            found += event["Records"]
        return found

    def close(self) -> None:
        # the reading thread holds the response until its next event: cut the socket under it
        connection = getattr(self.stream._raw_stream, "_connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.stream.close()


@pytest.fixture
def readers() -> Any:
    opened: list[Reader] = []
    yield opened
    for reader in opened:
        reader.close()


def subscribe(efo, readers, consumer: str, kind: str = "TRIM_HORIZON", shard: str = SHARD, **start) -> Reader:
    reader = Reader(
        efo.subscribe_to_shard(ConsumerARN=consumer, ShardId=shard, StartingPosition={"Type": kind, **start})
    )
    readers.append(reader)
    return reader


def register(kinesis, name: str, consumer: str = "app") -> str:
    return kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName=consumer)["Consumer"][
        "ConsumerARN"
    ]


def test_register_describe_list_deregister(kinesis, cloudlet, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    now = cloudlet.clock()["now"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app", Tags={"team": "a"})[
        "Consumer"
    ]
    assert set(consumer) == {"ConsumerName", "ConsumerARN", "ConsumerStatus", "ConsumerCreationTimestamp"}
    assert consumer["ConsumerName"] == "app" and consumer["ConsumerStatus"] == "ACTIVE"
    created = consumer["ConsumerCreationTimestamp"].timestamp()
    assert abs(created - now) < 60
    assert (
        consumer["ConsumerARN"]
        == f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}/consumer/app:{int(created)}"
    )
    described = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])["ConsumerDescription"]
    assert described == {**consumer, "StreamARN": arn}
    by_name = kinesis.describe_stream_consumer(StreamARN=arn, ConsumerName="app")["ConsumerDescription"]
    assert by_name == described
    both = kinesis.describe_stream_consumer(
        StreamARN=arn, ConsumerName="app", ConsumerARN=consumer["ConsumerARN"]
    )["ConsumerDescription"]
    assert both == described
    assert kinesis.list_stream_consumers(StreamARN=arn)["Consumers"] == [consumer]
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["ConsumerCount"] == 1
    kinesis.deregister_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    assert kinesis.list_stream_consumers(StreamARN=arn)["Consumers"] == []
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["ConsumerCount"] == 0
    with pytest.raises(ClientError) as exc:
        kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    assert code_of(exc) == ("ResourceNotFoundException", 400)  # message unverified
    register(kinesis, name, "other")
    kinesis.deregister_stream_consumer(StreamARN=arn, ConsumerName="other")  # by stream and name
    assert kinesis.list_stream_consumers(StreamARN=arn)["Consumers"] == []


def test_consumer_errors(kinesis, kinesis_raw, make_stream):
    name = make_stream()
    other = make_stream()
    arn = stream_arn(name)
    consumer = register(kinesis, name)
    with pytest.raises(ClientError) as exc:
        register(kinesis, name)
    assert code_of(exc) == ("ResourceInUseException", 400)  # message unverified
    register(kinesis, other)  # names are per stream
    with pytest.raises(ClientError) as exc:
        kinesis.register_stream_consumer(StreamARN=stream_arn("nope"), ConsumerName="app")
    assert code_of(exc) == ("ResourceNotFoundException", 400)
    for params in (
        {"StreamARN": arn, "ConsumerName": "missing"},
        {"ConsumerARN": f"{arn}/consumer/missing:1"},
        {"ConsumerARN": f"{stream_arn('nope')}/consumer/app:1"},
    ):
        with pytest.raises(ClientError) as exc:
            kinesis.describe_stream_consumer(**params)
        assert code_of(exc) == ("ResourceNotFoundException", 400), params
        with pytest.raises(ClientError) as exc:
            kinesis.deregister_stream_consumer(**params)
        assert code_of(exc) == ("ResourceNotFoundException", 400), params
    for params in (
        {},
        {"StreamARN": arn},
        {"ConsumerName": "app"},
        {"ConsumerARN": consumer, "ConsumerName": "other"},
        {"ConsumerARN": consumer, "StreamARN": stream_arn(other)},
    ):
        with pytest.raises(ClientError) as exc:
            kinesis.describe_stream_consumer(**params)
        assert code_of(exc) == ("InvalidArgumentException", 400), params
    with pytest.raises(ClientError) as exc:
        kinesis_raw.describe_stream_consumer(ConsumerARN=f"{arn}/consumer/app")  # no timestamp
    assert code_of(exc)[1] == 400
    with pytest.raises(ClientError) as exc:
        kinesis_raw.register_stream_consumer(StreamARN=arn, ConsumerName="bad name!")
    assert code_of(exc) == ("ValidationException", 400)


def test_twenty_consumers_and_paging(kinesis, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    names = [f"c{i:02d}" for i in range(20)]
    for consumer in names:
        register(kinesis, name, consumer)
    with pytest.raises(ClientError) as exc:
        register(kinesis, name, "c20")
    assert code_of(exc) == ("LimitExceededException", 400)  # message unverified
    page = kinesis.list_stream_consumers(StreamARN=arn, MaxResults=7)
    seen = [c["ConsumerName"] for c in page["Consumers"]]
    while "NextToken" in page:
        page = kinesis.list_stream_consumers(StreamARN=arn, NextToken=page["NextToken"], MaxResults=7)
        seen += [c["ConsumerName"] for c in page["Consumers"]]
    assert seen == names
    paginated = kinesis.get_paginator("list_stream_consumers").paginate(StreamARN=arn, MaxResults=6)
    assert [c["ConsumerName"] for p in paginated for c in p["Consumers"]] == names
    with pytest.raises(ClientError) as exc:
        kinesis.list_stream_consumers(StreamARN=arn, NextToken="garbage")
    assert code_of(exc) == ("InvalidArgumentException", 400)
    other = make_stream()
    token = kinesis.list_stream_consumers(StreamARN=arn, MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as exc:
        kinesis.list_stream_consumers(StreamARN=stream_arn(other), NextToken=token)
    assert code_of(exc) == ("InvalidArgumentException", 400)
    created = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "StreamCreationTimestamp"
    ]
    assert (
        len(kinesis.list_stream_consumers(StreamARN=arn, StreamCreationTimestamp=created)["Consumers"]) == 20
    )
    with pytest.raises(ClientError) as exc:
        kinesis.list_stream_consumers(
            StreamARN=arn, StreamCreationTimestamp=created - datetime.timedelta(days=1)
        )
    assert code_of(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.list_stream_consumers(StreamARN=arn, NextToken=token, StreamCreationTimestamp=created)
    assert code_of(exc) == ("InvalidArgumentException", 400)


def test_delete_stream_with_consumers(kinesis, make_stream):
    name = make_stream()
    consumer = register(kinesis, name)
    with pytest.raises(ClientError) as exc:
        kinesis.delete_stream(StreamName=name)
    assert code_of(exc) == ("ResourceInUseException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=False)
    assert code_of(exc) == ("ResourceInUseException", 400)
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    kinesis.create_stream(StreamName=name, ShardCount=1)  # the same name again: no consumers left
    assert kinesis.list_stream_consumers(StreamARN=stream_arn(name))["Consumers"] == []
    with pytest.raises(ClientError) as exc:
        kinesis.describe_stream_consumer(ConsumerARN=consumer)
    assert code_of(exc) == ("ResourceNotFoundException", 400)


def test_subscription_pushes_records_as_they_are_put(kinesis, efo, readers, make_stream):
    name = make_stream()
    consumer = register(kinesis, name)
    puts = [kinesis.put_record(StreamName=name, Data=b"old-%d" % i, PartitionKey="1") for i in range(3)]
    reader = subscribe(efo, readers, consumer)
    first = reader.next()
    assert set(first) == {"Records", "ContinuationSequenceNumber", "MillisBehindLatest"}
    assert [r["Data"] for r in first["Records"]] == [b"old-0", b"old-1", b"old-2"]
    assert [r["SequenceNumber"] for r in first["Records"]] == [p["SequenceNumber"] for p in puts]
    assert set(first["Records"][0]) == {
        "SequenceNumber",
        "ApproximateArrivalTimestamp",
        "Data",
        "PartitionKey",
    }
    assert isinstance(first["Records"][0]["ApproximateArrivalTimestamp"], datetime.datetime)
    assert first["ContinuationSequenceNumber"] == puts[-1]["SequenceNumber"]
    assert first["MillisBehindLatest"] == 0
    began = time.monotonic()
    threading.Timer(0.3, lambda: kinesis.put_record(StreamName=name, Data=b"new", PartitionKey="1")).start()
    event = reader.next()
    while not event["Records"]:  # an empty event may come first
        event = reader.next()
    assert [r["Data"] for r in event["Records"]] == [b"new"]
    assert time.monotonic() - began < 5  # pushed, not polled
    assert int(event["ContinuationSequenceNumber"]) > int(first["ContinuationSequenceNumber"])


def test_starting_positions(kinesis, efo, cloudlet, readers, make_stream):
    name = make_stream()
    consumer = register(kinesis, name)
    seqs = [
        kinesis.put_record(StreamName=name, Data=b"%d" % i, PartitionKey="1")["SequenceNumber"]
        for i in range(3)
    ]
    cloudlet.advance_clock(10)
    middle = datetime.datetime.fromtimestamp(cloudlet.clock()["now"], datetime.UTC)
    seqs.append(kinesis.put_record(StreamName=name, Data=b"3", PartitionKey="1")["SequenceNumber"])
    cases = [
        ("TRIM_HORIZON", {}, [b"0", b"1", b"2", b"3"]),
        ("AT_SEQUENCE_NUMBER", {"SequenceNumber": seqs[1]}, [b"1", b"2", b"3"]),
        ("AFTER_SEQUENCE_NUMBER", {"SequenceNumber": seqs[1]}, [b"2", b"3"]),
        ("AT_TIMESTAMP", {"Timestamp": middle}, [b"3"]),
        ("LATEST", {}, []),
    ]
    for kind, start, expected in cases:
        cloudlet.advance_clock(6)  # past the 5 s between subscriptions of one consumer to a shard
        reader = subscribe(efo, readers, consumer, kind, **start)
        first = reader.next()
        assert [r["Data"] for r in first["Records"]] == expected, kind
        assert first["ContinuationSequenceNumber"] == seqs[-1], kind
        reader.close()
    cloudlet.advance_clock(6)
    reader = subscribe(efo, readers, consumer, "AFTER_SEQUENCE_NUMBER", SequenceNumber=seqs[-1])
    assert reader.next()["Records"] == []


def test_subscribe_errors(kinesis, efo, kinesis_raw, readers, cloudlet, make_stream):
    name = make_stream()
    consumer = register(kinesis, name)
    seq = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="1")["SequenceNumber"]
    with pytest.raises(ClientError) as exc:
        efo.subscribe_to_shard(
            ConsumerARN=f"{stream_arn(name)}/consumer/missing:1",
            ShardId=SHARD,
            StartingPosition={"Type": "LATEST"},
        )
    assert code_of(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        efo.subscribe_to_shard(
            ConsumerARN=consumer, ShardId="shardId-000000000009", StartingPosition={"Type": "LATEST"}
        )
    assert code_of(exc) == ("ResourceNotFoundException", 400)
    for start in (
        {"Type": "AT_SEQUENCE_NUMBER"},
        {"Type": "AT_TIMESTAMP"},
        {"Type": "AT_SEQUENCE_NUMBER", "SequenceNumber": "12345"},
        {"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": seq[:-1] + "7"},  # another shard's
        {
            "Type": "AT_TIMESTAMP",
            "Timestamp": datetime.datetime.fromtimestamp(cloudlet.clock()["now"] + 3600),
        },
    ):
        with pytest.raises(ClientError) as exc:
            efo.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition=start)
        assert code_of(exc) == ("InvalidArgumentException", 400), start
    with pytest.raises(ClientError) as exc:
        kinesis_raw.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "NOPE"})
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        efo.subscribe_to_shard(
            ConsumerARN=consumer, ShardId=SHARD, StartingPosition={"Type": "LATEST"}, DryRun=True
        )
    assert code_of(exc) == ("DryRunOperationException", 400)


def test_one_subscription_per_consumer_and_shard(kinesis, efo, readers, cloudlet, make_stream):
    name = make_stream()
    consumer = register(kinesis, name)
    other = register(kinesis, name, "other")
    first = subscribe(efo, readers, consumer)
    first.next()
    with pytest.raises(ClientError) as exc:
        subscribe(efo, readers, consumer)
    # AWS's words, as quoted in public issue reports
    assert error_of(exc) == (
        "ResourceInUseException",
        "Another active subscription exists for this consumer",
        400,
    )
    subscribe(efo, readers, other).next()  # another consumer is independent
    cloudlet.advance_clock(5)
    second = subscribe(efo, readers, consumer)  # takes over
    second.next()
    with pytest.raises(EventStreamError) as exc:
        while True:
            assert first.next() is not None
    assert exc.value.response["Error"]["Code"] == "ResourceInUseException"
    kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="1")
    assert [r["Data"] for r in second.records(1)] == [b"x"]


def test_subscription_lasts_five_minutes(kinesis, efo, readers, cloudlet, make_stream):
    name = make_stream()
    consumer = register(kinesis, name)
    reader = subscribe(efo, readers, consumer, "LATEST")
    reader.next()
    cloudlet.advance_clock(299)
    kinesis.put_record(StreamName=name, Data=b"late", PartitionKey="1")
    assert [r["Data"] for r in reader.records(1)] == [b"late"]
    cloudlet.advance_clock(2)
    while (event := reader.next()) is not None:  # idle events until it ends
        assert event["Records"] == []


def test_idle_subscription_gets_empty_events_on_the_clock(kinesis, efo, readers, cloudlet, make_stream):
    name = make_stream()
    consumer = register(kinesis, name)
    reader = subscribe(efo, readers, consumer, "LATEST")
    first = reader.next()
    with pytest.raises(queue.Empty):
        reader.next(within=0.5)  # nothing without records or time
    cloudlet.advance_clock(5)
    idle = reader.next()
    assert idle["Records"] == [] and idle["ContinuationSequenceNumber"] == first["ContinuationSequenceNumber"]


def test_subscription_ends_when_the_consumer_or_stream_goes(kinesis, efo, readers, make_stream):
    name = make_stream(shards=2)
    consumer = register(kinesis, name)
    reader = subscribe(efo, readers, consumer)
    reader.next()
    other = subscribe(efo, readers, consumer, shard="shardId-000000000001")
    other.next()
    kinesis.deregister_stream_consumer(ConsumerARN=consumer)
    for gone in (reader, other):
        with pytest.raises(EventStreamError) as exc:
            while True:
                assert gone.next() is not None
        assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    consumer = register(kinesis, name, "again")
    reader = subscribe(efo, readers, consumer)
    reader.next()
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    with pytest.raises(EventStreamError) as exc:
        while True:
            assert reader.next() is not None
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_subscription_to_a_closed_shard_ends_with_its_children(kinesis, efo, readers, make_stream):
    name = make_stream()
    consumer = register(kinesis, name)
    kinesis.put_record(StreamName=name, Data=b"before", PartitionKey="1")
    reader = subscribe(efo, readers, consumer, "LATEST")
    assert reader.next()["Records"] == []
    kinesis.put_record(StreamName=name, Data=b"last", PartitionKey="1")
    kinesis.split_shard(StreamName=name, ShardToSplit=SHARD, NewStartingHashKey=str(2**127))
    events = []
    while (event := reader.next()) is not None:
        events.append(event)
    records = [r["Data"] for e in events for r in e["Records"]]
    assert records == [b"last"]
    end = events[-1]
    assert "ContinuationSequenceNumber" not in end  # the shard's end, as the KCL reads it
    assert end["MillisBehindLatest"] == 0
    assert end["ChildShards"] == [
        {
            "ShardId": "shardId-000000000001",
            "ParentShards": [SHARD],
            "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(2**127 - 1)},
        },
        {
            "ShardId": "shardId-000000000002",
            "ParentShards": [SHARD],
            "HashKeyRange": {"StartingHashKey": str(2**127), "EndingHashKey": str(2**128 - 1)},
        },
    ]
    # a subscription from the start of the closed shard reads it all, then ends the same way
    consumer2 = register(kinesis, name, "second")
    whole = subscribe(efo, readers, consumer2)
    events = []
    while (event := whole.next()) is not None:
        events.append(event)
    assert [r["Data"] for e in events for r in e["Records"]] == [b"before", b"last"]
    assert events[-1]["ChildShards"] == end["ChildShards"]
    assert re.fullmatch(
        r"\d{56}",
        kinesis.list_shards(StreamName=name)["Shards"][0]["SequenceNumberRange"]["EndingSequenceNumber"],
    )


def test_consumer_tags(kinesis, make_stream):
    name = make_stream()
    consumer = kinesis.register_stream_consumer(
        StreamARN=stream_arn(name), ConsumerName="app", Tags={"a": "1"}
    )["Consumer"]["ConsumerARN"]
    assert kinesis.list_tags_for_resource(ResourceARN=consumer)["Tags"] == [{"Key": "a", "Value": "1"}]
    kinesis.tag_resource(ResourceARN=consumer, Tags={"b": "2"})
    kinesis.untag_resource(ResourceARN=consumer, TagKeys=["a"])
    assert kinesis.list_tags_for_resource(ResourceARN=consumer)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert kinesis.list_tags_for_resource(ResourceARN=stream_arn(name))["Tags"] == []  # the stream's own
    with pytest.raises(ClientError) as exc:
        kinesis.tag_resource(ResourceARN=consumer, Tags={f"k{i}": "v" for i in range(50)})
    assert code_of(exc) == ("InvalidArgumentException", 400)
    kinesis.deregister_stream_consumer(ConsumerARN=consumer)
    with pytest.raises(ClientError) as exc:
        kinesis.list_tags_for_resource(ResourceARN=consumer)
    assert code_of(exc) == ("ResourceNotFoundException", 400)
