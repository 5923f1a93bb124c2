"""Object bodies on disk: writing, ranges, composite blobs, atomicity, orphan sweep, memory."""

from __future__ import annotations

import hashlib
import io
import os
import random
import stat
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlet.services.s3.blobs import CHUNK_SIZE, BlobCorrupt, BlobNotFound, BlobStore
from cloudlet.services.s3.checksums import compute, new_hasher


@pytest.fixture
def store(tmp_path):
    return BlobStore(tmp_path / "blobs")


def final_files(store: BlobStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file() and p.parent.name != "tmp")


def tmp_files(store: BlobStore) -> list[Path]:
    return sorted((store.root / "tmp").iterdir())


def data(n: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(n)


# --------------------------------------------------------------------------- writing


def test_write_bytes_with_digests(store):
    body = data(1_000_000)
    info = store.write(body, [new_hasher("MD5"), new_hasher("CRC64NVME")])
    assert info.size == len(body)
    assert info.digests == {"MD5": hashlib.md5(body).digest(), "CRC64NVME": compute("CRC64NVME", body)}
    assert store.read_all(info.blob_id) == body
    assert store.size(info.blob_id) == len(body)
    assert store.exists(info.blob_id) and not store.is_composite(info.blob_id)


@pytest.mark.parametrize("kind", ["bytes", "file", "raw-file", "chunks", "reader"])
def test_write_sources(store, tmp_path, kind):
    body = data(3 * CHUNK_SIZE + 123, seed=1)
    if kind == "bytes":
        source = bytearray(body)
    elif kind == "file":
        source = io.BytesIO(b"skip" + body)
        source.read(4)  # read from the current position
    elif kind == "raw-file":
        path = tmp_path / "body"
        path.write_bytes(body)
        source = open(path, "rb", buffering=0)  # noqa: SIM115
    elif kind == "chunks":
        source = (body[i : i + 1000] for i in range(0, len(body), 1000))
    else:
        source = store.open(store.write(body).blob_id)
    info = store.write(source, [new_hasher("SHA256")])
    assert info.size == len(body)
    assert info.digests["SHA256"] == hashlib.sha256(body).digest()
    assert store.read_all(info.blob_id) == body


def test_empty_blob(store):
    info = store.write(b"", [new_hasher("MD5")])
    assert info.size == 0
    assert info.digests["MD5"].hex() == "d41d8cd98f00b204e9800998ecf8427e"
    assert store.read_all(info.blob_id) == b""
    assert list(store.open(info.blob_id)) == []


def test_ids_are_random_and_fanned_out(store):
    ids = [store.write(b"x").blob_id for _ in range(20)]
    assert len(set(ids)) == 20
    for blob_id in ids:
        assert len(blob_id) == 32 and int(blob_id, 16) >= 0
        assert (store.root / blob_id[:2] / blob_id).is_file()
    assert {p.parent.name for p in final_files(store)} == {b[:2] for b in ids}


@pytest.mark.parametrize("bad", ["../etc/passwd", "ABCDEF" * 6, "", "0" * 31, "0" * 32 + "/"])
def test_bad_ids_are_refused(store, bad):
    with pytest.raises(ValueError):
        store.open(bad)
    with pytest.raises(ValueError):
        store.delete(bad)


def test_missing_blob(store):
    missing = "0" * 32
    with pytest.raises(BlobNotFound):
        store.open(missing)
    with pytest.raises(BlobNotFound):
        store.size(missing)
    assert not store.exists(missing)
    store.delete(missing)  # ignored


# --------------------------------------------------------------------------- atomicity and durability


def test_no_final_name_until_complete(store):
    seen: list[tuple[list[Path], list[Path]]] = []

    def body():
        for _ in range(4):
            yield b"x" * CHUNK_SIZE
            seen.append((final_files(store), tmp_files(store)))

    info = store.write(body())
    for finals, tmps in seen:
        assert finals == []  # nothing under a final name while the body streams
        assert len(tmps) == 1  # only the temporary file
    assert final_files(store) == [store.root / info.blob_id[:2] / info.blob_id]
    assert tmp_files(store) == []


def test_failed_write_leaves_nothing(store):
    def body():
        yield b"x" * CHUNK_SIZE
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.write(body())
    assert final_files(store) == []
    assert tmp_files(store) == []


def test_fsync_before_rename_then_directory(store, monkeypatch):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        real_fsync(fd)

    def replace(src, dst):
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    store.write(b"first")  # creates a fan-out directory (and fsyncs the root)
    events.clear()
    store.write(b"x" * 10)
    assert events[0] == "fsync-file"  # the data, before it gets its name
    assert events.index("rename") > events.index("fsync-file")
    assert events[-1] == "fsync-dir"  # then the name


def test_no_fsync_mode(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd))
    store = BlobStore(tmp_path, fsync=False)
    assert store.read_all(store.write(b"abc").blob_id) == b"abc"
    assert calls == []


# --------------------------------------------------------------------------- ranges


def test_ranges_of_a_plain_blob(store):
    body = data(CHUNK_SIZE * 2 + 5)
    blob_id = store.write(body).blob_id
    n = len(body)
    for start, end in [
        (0, None),
        (0, n),
        (1, 2),
        (0, 0),
        (n, None),
        (n - 1, None),
        (100, CHUNK_SIZE + 7),
        (5, n + 100),
    ]:
        with store.open(blob_id, start, end) as reader:
            expected = body[start:end]
            assert reader.length == len(expected)
            assert b"".join(reader) == expected
            assert reader.remaining == 0
    with pytest.raises(ValueError):
        store.open(blob_id, n + 1)
    with pytest.raises(ValueError):
        store.open(blob_id, 5, 4)
    with pytest.raises(ValueError):
        store.open(blob_id, -1)


def test_reader_chunks_and_file_interface(store):
    body = data(CHUNK_SIZE * 3 + 10)
    reader = store.open(store.write(body).blob_id)
    assert reader.readable()
    first = reader.read(10)
    chunks = list(reader)
    assert all(len(c) <= CHUNK_SIZE for c in chunks)
    assert len(chunks[0]) == CHUNK_SIZE
    assert first + b"".join(chunks) == body
    assert reader.read() == b""
    reader.close()
    reader.close()
    with pytest.raises(ValueError):
        reader.read(1)


def test_truncated_blob_is_reported(store):
    blob_id = store.write(b"x" * 100).blob_id
    reader = store.open(blob_id)
    os.truncate(store.root / blob_id[:2] / blob_id, 50)
    with pytest.raises(BlobCorrupt):
        reader.read()
    reader.close()


# --------------------------------------------------------------------------- composite blobs


def make_parts(store, sizes, seed=0):
    bodies = [data(size, seed + i) for i, size in enumerate(sizes)]
    return bodies, [store.write(b).blob_id for b in bodies]


def test_concat_reads_parts_in_order(store):
    bodies, ids = make_parts(store, [CHUNK_SIZE + 1, 0, 3, 2 * CHUNK_SIZE])
    before = final_files(store)
    info = store.concat(ids)
    whole = b"".join(bodies)
    assert info.size == len(whole) and info.digests == {}
    assert store.read_all(info.blob_id) == whole
    assert store.size(info.blob_id) == len(whole)
    assert store.is_composite(info.blob_id)
    assert store.parts(info.blob_id) == [(i, len(b)) for i, b in zip(ids, bodies, strict=True)]
    # Nothing was copied: one small manifest was added.
    added = set(final_files(store)) - set(before)
    assert len(added) == 1 and added.pop().stat().st_size < 200


def test_concat_refuses_bad_input(store):
    _, ids = make_parts(store, [1, 2])
    composite = store.concat(ids).blob_id
    with pytest.raises(ValueError):
        store.concat([])
    with pytest.raises(ValueError):
        store.concat([ids[0], ids[0]])
    with pytest.raises(ValueError):
        store.concat([composite])
    with pytest.raises(BlobNotFound):
        store.concat(["f" * 32])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=6),
    start=st.integers(min_value=0, max_value=20000),
    length=st.one_of(st.none(), st.integers(min_value=0, max_value=20000)),
)
def test_composite_ranges(store, sizes, start, length):
    bodies, ids = make_parts(store, sizes)
    whole = b"".join(bodies)
    blob_id = store.concat(ids).blob_id
    start = min(start, len(whole))
    end = None if length is None else start + length
    with store.open(blob_id, start, end) as reader:
        assert reader.length == len(whole[start:end])
        got = []
        while piece := reader.read(777):
            got.append(piece)
        assert b"".join(got) == whole[start:end]


def test_delete_composite_removes_parts(store):
    _, ids = make_parts(store, [10, 20])
    other = store.write(b"keep").blob_id
    composite = store.concat(ids).blob_id
    store.delete(composite)
    assert not store.exists(composite)
    assert not any(store.exists(i) for i in ids)
    assert store.exists(other)
    assert final_files(store) == [store.root / other[:2] / other]


def test_delete_waits_for_open_readers(store):
    bodies, ids = make_parts(store, [CHUNK_SIZE, CHUNK_SIZE, 10])
    composite = store.concat(ids).blob_id
    reader = store.open(composite)
    first = reader.read(100)
    store.delete(composite)
    assert store.exists(composite)  # still being read
    assert first + reader.read() == b"".join(bodies)
    reader.close()
    assert not store.exists(composite)
    assert not any(store.exists(i) for i in ids)


def test_reader_dropped_without_close_releases(store):
    blob_id = store.write(b"abc").blob_id
    reader = store.open(blob_id)
    store.delete(blob_id)
    assert store.exists(blob_id)
    del reader
    assert not store.exists(blob_id)


def test_copy_hard_links(store):
    body = data(5000)
    original = store.write(body).blob_id
    copy = store.copy(original)
    assert copy.blob_id != original and copy.size == len(body)
    a, b = store.root / original[:2] / original, store.root / copy.blob_id[:2] / copy.blob_id
    assert a.stat().st_ino == b.stat().st_ino
    store.delete(original)
    assert store.read_all(copy.blob_id) == body


def test_copy_composite(store):
    bodies, ids = make_parts(store, [100, 200])
    composite = store.concat(ids).blob_id
    copy = store.copy(composite)
    assert store.is_composite(copy.blob_id)
    store.delete(composite)
    assert store.read_all(copy.blob_id) == b"".join(bodies)


def test_copy_without_hard_links(store, monkeypatch):
    def no_link(src, dst):
        raise PermissionError("no hard links here")

    monkeypatch.setattr(os, "link", no_link)
    original = store.write(b"bytes").blob_id
    copy = store.copy(original).blob_id
    assert store.read_all(copy) == b"bytes"
    store.delete(original)
    assert store.read_all(copy) == b"bytes"


# --------------------------------------------------------------------------- orphans


def test_orphans_and_sweep(store):
    kept = store.write(b"kept").blob_id
    orphan = store.write(b"orphan").blob_id
    part_ids = make_parts(store, [5, 6])[1]
    live_composite = store.concat(part_ids).blob_id
    pending_parts = make_parts(store, [7, 8], seed=10)[1]  # an upload not completed yet
    dead_composite = store.concat(pending_parts).blob_id  # completed, but the commit was lost
    (store.root / "tmp" / "leftover.tmp").write_bytes(b"half")

    referenced = {kept, live_composite, *pending_parts}
    assert store.orphans(referenced) == {orphan, dead_composite}

    # Nothing is old enough yet.
    assert store.sweep(referenced, min_age=3600) == 0
    assert store.exists(orphan)

    assert store.sweep(referenced, min_age=0) == 3  # orphan, dead manifest, leftover
    assert not store.exists(orphan) and not store.exists(dead_composite)
    assert all(store.exists(i) for i in [kept, live_composite, *part_ids, *pending_parts])
    assert tmp_files(store) == []
    assert store.orphans(referenced) == set()
    # Once the upload is gone too, its parts are orphans.
    assert store.orphans({kept, live_composite}) == set(pending_parts)


def test_sweep_spares_blobs_being_read(store):
    blob_id = store.write(b"streaming").blob_id
    with store.open(blob_id) as reader:
        assert store.orphans(set()) == set()
        assert store.sweep(set(), min_age=0) == 0
        assert reader.read() == b"streaming"
    assert store.sweep(set(), min_age=0) == 1


def test_sweep_ignores_foreign_files(store):
    (store.root / "README").write_text("not a blob")
    (store.root / "ab").mkdir(exist_ok=True)
    (store.root / "ab" / "notes.txt").write_text("not a blob")
    assert store.orphans(set()) == set()
    assert store.sweep(set(), min_age=0) == 0
    assert (store.root / "README").exists()


def test_clear(store):
    ids = make_parts(store, [1, 2])[1]
    store.concat(ids)
    store.clear()
    assert final_files(store) == []
    assert store.write(b"after").size == 5


def test_temporary_store():
    store = BlobStore.temporary()
    root = store.root
    assert store.fsync is False
    assert store.read_all(store.write(b"abc").blob_id) == b"abc"
    store.close()
    assert not root.exists()


# --------------------------------------------------------------------------- memory


def test_memory_stays_flat_for_200_mb(store, tmp_path):
    size = 200 * 1024 * 1024
    piece = b"\x5a" * (1024 * 1024)
    source_file = tmp_path / "upload.bin"
    with open(source_file, "wb") as f:  # a spooled request body
        for _ in range(size // len(piece)):
            f.write(piece)

    tracemalloc.start()
    try:
        started = time.perf_counter()
        from_chunks = store.write(
            (piece for _ in range(size // len(piece))), [new_hasher("MD5"), new_hasher("CRC64NVME")]
        )
        with open(source_file, "rb") as f:
            from_file = store.write(f, [new_hasher("CRC32C")])
        total = 0
        with store.open(from_chunks.blob_id) as reader:
            for chunk in reader:
                total += len(chunk)
        composite = store.concat([from_chunks.blob_id, from_file.blob_id]).blob_id
        with store.open(composite, size - 10, size + 10) as reader:
            assert reader.read() == b"\x5a" * 20
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert from_chunks.size == from_file.size == total == size
    assert peak < 10 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    print(f"400 MB written and 200 MB read in {elapsed:.2f}s, peak traced memory {peak / 1e6:.2f} MB")


def test_failed_open_does_not_hold_the_blob(store):
    blob_id = store.write(b"abc").blob_id
    with pytest.raises(ValueError):
        store.open(blob_id, 10)
    store.delete(blob_id)
    assert not store.exists(blob_id)


def test_concurrent_writers(store):
    from concurrent.futures import ThreadPoolExecutor

    bodies = [data(10_000 + i, seed=i) for i in range(40)]
    with ThreadPoolExecutor(8) as pool:
        infos = list(pool.map(lambda b: store.write(b, [new_hasher("MD5")]), bodies))
    assert len({i.blob_id for i in infos}) == 40
    for body, info in zip(bodies, infos, strict=True):
        assert store.read_all(info.blob_id) == body
        assert info.digests["MD5"] == hashlib.md5(body).digest()
    assert tmp_files(store) == []


def test_mapped_views_cover_a_range_and_outlive_the_reader(store):
    """``mapped`` gives the range as views of mapped files, across a composite's parts and at
    unaligned offsets; the views stay readable after the reader closed and the blob went."""
    parts = [data(3 * 4096 + 17, seed=i) for i in range(3)]
    whole = store.concat([store.write(p).blob_id for p in parts])
    content = b"".join(parts)
    start, end = 5000, len(content) - 333
    reader = store.open(whole.blob_id, start, end)
    views = []
    while view := reader.mapped(4096 + 7):
        views.append(view)
    reader.close()
    store.delete(whole.blob_id)
    assert b"".join(bytes(v) for v in views) == content[start:end]
    assert all(len(v) <= 4096 + 7 for v in views)
