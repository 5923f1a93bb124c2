"""Object bodies on disk: write once, read by range, never whole in memory.

A blob is an immutable file named by a random id (32 hex digits) under ``root/<2 hex>/``:
256 fan-out directories, so none holds millions of files. The metadata store (objects,
versions, parts) names blobs by id; this module knows nothing about buckets or keys.

Writing
    :meth:`BlobStore.write` streams a body (bytes, a readable file, or an iterable of chunks)
    into ``root/tmp/``, feeding the given hashers (:func:`.checksums.new_hasher`) as it goes,
    fsyncs the file, renames it under its final name and fsyncs that directory. The rename is
    atomic, so a crash leaves either no blob or a whole one; what is left in ``tmp/`` is
    garbage that :meth:`BlobStore.sweep` removes.

Multipart uploads: composite blobs, not copies
    :meth:`BlobStore.concat` does not copy the parts into one file. It writes a small manifest
    (``<id>.parts``: each part's blob id and size, in order) and the new blob id reads its parts
    in sequence. Completing a 5 GB upload then costs one small fsynced file instead of 5 GB of
    extra disk writes (and 5 GB of extra disk space until the parts are deleted), and it answers
    at once, where a copy would take tens of seconds. A range read finds its first part by
    bisection and opens one part at a time; memory stays flat either way. The parts belong to
    the composite from then on: deleting it deletes them. A composite's parts are plain blobs
    (composites do not nest). :meth:`BlobStore.copy` hard-links instead of copying (blobs are
    never modified in place, so sharing an inode is safe), for ``CopyObject`` of large objects.

Reading
    :meth:`BlobStore.open` returns a :class:`BlobReader` for a byte range ``[start, end)``: a
    readable file object (``read``/``close``, which is what the HTTP server streams) and an
    iterator of :data:`CHUNK_SIZE` chunks. A blob deleted while a reader is open is removed when
    the last reader closes (a data blob's open descriptor would survive anyway; a composite's
    later parts are opened lazily, so they are kept until then).

Durability: the order the S3 provider follows
    An acknowledged write must survive ``kill -9`` (and, as far as the store's own settings
    allow, power loss), and a committed row must never name a missing blob:

    1. ``info = blobs.write(body, hashers)`` (in a worker thread: it blocks on disk). When it
       returns, the blob is complete, fsynced and under its final name.
    2. Check ``Content-MD5`` / ``x-amz-checksum-*`` against ``info.digests``; on a mismatch,
       ``blobs.delete(info.blob_id)`` and answer the error.
    3. Commit the metadata that names ``info.blob_id`` (object row, part row) in one
       transaction, together with the removal of the rows it replaces.
    4. Only after that commit, ``blobs.delete(...)`` the blobs no row names any more (the
       overwritten object's, an aborted upload's parts, parts left out of a completed upload).

    Never commit a row naming a blob before step 1 returned; never delete a blob before the
    commit that dropped its last reference. A crash between 1 and 3 or between 3 and 4 leaves
    an unreferenced blob, never a dangling reference: at start-up, before serving, call
    ``blobs.sweep(<every blob id the store names>, min_age=0)``. ``CompleteMultipartUpload`` is
    the same: ``concat`` (step 1), commit the object row and drop the part rows (step 3);
    the parts now live through the composite.

``fsync=False`` (what the S3 provider uses, like the store's ``synchronous=NORMAL``) keeps all
of this but the fsyncs: a rename after a complete write is already safe against ``kill -9``,
since the kernel keeps the written pages; the fsyncs are what protects against power loss.
They cost about 1 ms per write here. Without them, a spooled request body on this file system
is adopted (hard-linked, read once for the hashes) instead of copied: see :meth:`_adopt`.
"""

from __future__ import annotations

import asyncio
import bisect
import mmap
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .checksums import Hasher

CHUNK_SIZE = 256 * 1024
# In-memory bodies up to this size are written on the event loop: a small file is written in
# tens of microseconds, less than handing it to a worker thread and back costs.
INLINE_WRITE = 256 * 1024
"""Size of the pieces bodies are read, hashed, written and streamed in."""

_ID = re.compile(r"[0-9a-f]{32}\Z")
_FANOUT = re.compile(r"[0-9a-f]{2}\Z")
_MANIFEST_SUFFIX = ".parts"
_MANIFEST_HEADER = "cloudlet-composite-blob 1"
_TMP = "tmp"

Source = bytes | bytearray | memoryview | BinaryIO | Iterable[bytes]


class BlobNotFound(FileNotFoundError):
    """No blob has this id."""


class BlobCorrupt(OSError):
    """A blob's file is shorter than its manifest or range says (damaged outside Cloudlet)."""


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """A blob that was written: its id, its size in bytes, and the digest of each hasher that
    was fed (``{"MD5": b"...", "CRC64NVME": b"..."}``; empty for :meth:`BlobStore.concat`)."""

    blob_id: str
    size: int
    digests: dict[str, bytes] = field(default_factory=dict)


def new_blob_id() -> str:
    return secrets.token_hex(16)


def _check_id(blob_id: str) -> str:
    if not isinstance(blob_id, str) or not _ID.match(blob_id):
        raise ValueError(f"not a blob id: {blob_id!r}")
    return blob_id


def _spooled_digests(source: Source) -> dict[str, Any]:
    """The digests a spool file (cloudlet.spool) kept of what was written to it, by algorithm."""
    md5, crc64nvme = getattr(source, "md5", None), getattr(source, "crc64nvme", None)
    if md5 is None or crc64nvme is None:
        return {}
    return {"MD5": md5(), "CRC64NVME": crc64nvme()}  # md5() first: it ends the writing


class BlobStore:
    """Blobs under ``root``. Thread-safe: call the blocking methods from worker threads."""

    def __init__(self, root: Path | str, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        self._tmp = self.root / _TMP
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._readers: dict[str, int] = {}  # blob id -> open readers
        self._doomed: set[str] = set()  # deleted while read: removed when the last reader closes
        self._manifests: OrderedDict[str, _Manifest] = OrderedDict()
        self._owned: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def temporary(cls) -> BlobStore:
        """A store in a new temporary directory, removed by :meth:`close` (for in-memory stores)."""
        owned = tempfile.TemporaryDirectory(prefix="cloudlet-s3-")
        store = cls(owned.name, fsync=False)
        store._owned = owned
        return store

    def close(self) -> None:
        """Remove the directory of a :meth:`temporary` store; nothing for others."""
        if self._owned is not None:
            self._owned.cleanup()
            self._owned = None

    def __enter__(self) -> BlobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ paths

    def _data_path(self, blob_id: str) -> Path:
        return self.root / blob_id[:2] / blob_id

    def _manifest_path(self, blob_id: str) -> Path:
        return self.root / blob_id[:2] / (blob_id + _MANIFEST_SUFFIX)

    def _tmp_path(self, blob_id: str) -> Path:
        return self._tmp / f"{blob_id}.{secrets.token_hex(4)}.tmp"

    def _publish(self, tmp: Path, final: Path) -> None:
        """Give a complete (already fsynced) temporary file its final name, durably."""
        try:
            os.replace(tmp, final)
        except FileNotFoundError:
            if not tmp.exists():
                raise
            final.parent.mkdir(exist_ok=True)
            if self.fsync:
                _fsync_dir(self.root)
            os.replace(tmp, final)
        if self.fsync:
            _fsync_dir(final.parent)

    # ------------------------------------------------------------------ writing

    def write(self, source: Source, hashers: Iterable[Hasher] = ()) -> BlobInfo:
        """Stream ``source`` into a new blob, updating ``hashers`` with every byte.

        ``source`` is bytes, a readable binary file (read from its current position to its
        end), or an iterable of byte chunks. Returns once the blob is durable under its id.
        """
        hashers = list(hashers)
        blob_id = new_blob_id()
        adopted = self._adopt(source, blob_id, hashers)
        if adopted is not None:
            return adopted
        tmp = self._tmp_path(blob_id)
        size = 0
        try:
            with open(tmp, "xb", buffering=0) as f:
                for chunk in _chunks(source):
                    for h in hashers:
                        h.update(chunk)
                    _write_all(f, chunk)
                    size += len(chunk)
                if self.fsync:
                    os.fsync(f.fileno())
            self._publish(tmp, self._data_path(blob_id))
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return BlobInfo(blob_id, size, {h.algorithm: h.digest() for h in hashers})

    def _adopt(self, source: Source, blob_id: str, hashers: list[Hasher]) -> BlobInfo | None:
        """A spooled request body (a named file on this store's file system) becomes the blob by
        a hard link instead of a copy; None if it cannot be. The hashers get the MD5 and the
        CRC64NVME the spool file computed as it was written, and the file is read once for any others."""
        name = getattr(source, "name", None)
        if not isinstance(name, str) or self.fsync or not hasattr(source, "readinto"):
            return None
        try:
            if source.tell() != 0 or os.stat(name).st_dev != os.stat(self._tmp).st_dev:  # type: ignore[union-attr]
                return None
            size = os.stat(name).st_size
        except (OSError, ValueError):
            return None
        known = _spooled_digests(source)
        pending = []
        for h in hashers:
            state = known.get(h.algorithm)
            if state is not None and hasattr(h, "take"):
                h.take(state)
            else:
                pending.append(h)
        if pending:
            for chunk in _chunks(source):
                for h in pending:
                    h.update(chunk)
        final = self._data_path(blob_id)
        try:
            os.link(name, final)
        except FileNotFoundError:
            final.parent.mkdir(exist_ok=True)
            os.link(name, final)
        return BlobInfo(blob_id, size, {h.algorithm: h.digest() for h in hashers})

    async def write_soon(self, source: Source, hashers: Iterable[Hasher] = ()) -> BlobInfo:
        """:meth:`write` from the event loop: in a worker thread, unless ``source`` is small bytes."""
        if isinstance(source, bytes | bytearray | memoryview) and len(source) <= INLINE_WRITE:
            return self.write(source, hashers)
        return await asyncio.to_thread(self.write, source, list(hashers))

    def concat(self, blob_ids: Sequence[str]) -> BlobInfo:
        """A new composite blob reading ``blob_ids`` in order (a completed multipart upload).

        The parts become the composite's: delete the composite, not them. Nothing is copied.
        """
        if not blob_ids:
            raise ValueError("a composite blob needs at least one part")
        if len(set(blob_ids)) != len(blob_ids):
            raise ValueError("a blob can be only once in a composite blob")
        entries = [(part, self._data_size(part)) for part in blob_ids]
        blob_id = new_blob_id()
        text = "\n".join([_MANIFEST_HEADER, *(f"{part} {size}" for part, size in entries), ""])
        self._write_small(blob_id, self._manifest_path(blob_id), text.encode())
        return BlobInfo(blob_id, sum(size for _, size in entries))

    def copy(self, blob_id: str) -> BlobInfo:
        """A new blob with the same content, hard-linked rather than copied where the file
        system allows (a composite's parts are linked one by one)."""
        manifest = self._manifest_or_none(blob_id)
        if manifest is None:
            return BlobInfo(self._link_copy(blob_id), self._data_size(blob_id))
        new_parts: list[str] = []
        try:
            for part in manifest.ids:
                new_parts.append(self._link_copy(part))
            return self.concat(new_parts)
        except BaseException:
            for part in new_parts:
                self._data_path(part).unlink(missing_ok=True)
            raise

    def _link_copy(self, blob_id: str) -> str:
        new_id = new_blob_id()
        tmp = self._tmp_path(new_id)
        try:
            os.link(self._data_path(blob_id), tmp)
        except FileNotFoundError:
            raise BlobNotFound(blob_id) from None
        except OSError:  # no hard links here (or across devices): copy the bytes
            with self.open(blob_id) as reader:
                return self.write(reader).blob_id
        try:
            self._publish(tmp, self._data_path(new_id))
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return new_id

    def _write_small(self, blob_id: str, final: Path, data: bytes) -> None:
        tmp = self._tmp_path(blob_id)
        try:
            with open(tmp, "xb", buffering=0) as f:
                _write_all(f, memoryview(data))
                if self.fsync:
                    os.fsync(f.fileno())
            self._publish(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    # ------------------------------------------------------------------ reading

    def open(self, blob_id: str, start: int = 0, end: int | None = None) -> BlobReader:
        """A reader of bytes ``[start, end)`` of the blob (``end=None``: to its end; an ``end``
        past the end is clamped). ``BlobNotFound`` if there is no such blob (or it was deleted
        since the caller looked its id up)."""
        _check_id(blob_id)
        if start < 0 or (end is not None and end < start):
            raise ValueError(f"bad range [{start}, {end})")
        self._acquire(blob_id)  # from here on, a delete waits for this reader
        try:
            return self._open(blob_id, start, end)
        except BaseException:
            self._release(blob_id)
            raise

    def _open(self, blob_id: str, start: int, end: int | None) -> BlobReader:
        try:
            f = open(self._data_path(blob_id), "rb", buffering=0)  # noqa: SIM115 - the reader closes it
        except FileNotFoundError:
            manifest = self._manifest_or_none(blob_id)
            if manifest is None:
                raise BlobNotFound(blob_id) from None
            stop = manifest.size if end is None else min(end, manifest.size)
            if start > stop:
                raise ValueError(f"range start {start} is past the end ({manifest.size})") from None
            return BlobReader(self, blob_id, manifest.segments(self, start, stop), None, 0)
        try:
            size = os.fstat(f.fileno()).st_size
            stop = size if end is None else min(end, size)
            if start > stop:
                raise ValueError(f"range start {start} is past the end ({size})")
            if start:
                f.seek(start)
        except BaseException:
            f.close()
            raise
        return BlobReader(self, blob_id, deque(), f, stop - start)

    def read_all(self, blob_id: str) -> bytes:
        """The whole blob in memory: for small ones (tests, tiny objects) only."""
        with self.open(blob_id) as reader:
            return reader.read()

    def size(self, blob_id: str) -> int:
        manifest = self._manifest_or_none(blob_id)
        return manifest.size if manifest is not None else self._data_size(blob_id)

    def digest(self, blob_id: str, hashers: Iterable[Hasher]) -> None:
        """Feed every byte of the blob to ``hashers``, a chunk at a time. It reads the whole blob
        from disk: call it from a worker thread, unless the blob is small."""
        hashers = list(hashers)
        with self.open(blob_id) as reader:
            for chunk in _chunks(reader):
                for h in hashers:
                    h.update(chunk)

    def exists(self, blob_id: str) -> bool:
        _check_id(blob_id)
        return self._data_path(blob_id).exists() or self._manifest_path(blob_id).exists()

    def is_composite(self, blob_id: str) -> bool:
        return self._manifest_or_none(blob_id) is not None

    def parts(self, blob_id: str) -> list[tuple[str, int]]:
        """A composite blob's ``(part blob id, size)`` in order; ``[(blob_id, size)]`` for a
        plain one."""
        manifest = self._manifest_or_none(blob_id)
        if manifest is None:
            return [(blob_id, self._data_size(blob_id))]
        return list(zip(manifest.ids, manifest.sizes, strict=True))

    def _data_size(self, blob_id: str) -> int:
        _check_id(blob_id)
        try:
            return os.stat(self._data_path(blob_id)).st_size
        except FileNotFoundError:
            if self._manifest_path(blob_id).exists():
                raise ValueError(f"{blob_id} is a composite blob; composite blobs do not nest") from None
            raise BlobNotFound(blob_id) from None

    def _manifest_or_none(self, blob_id: str) -> _Manifest | None:
        _check_id(blob_id)
        with self._lock:
            cached = self._manifests.get(blob_id)
            if cached is not None:
                self._manifests.move_to_end(blob_id)
                return cached
        try:
            text = self._manifest_path(blob_id).read_text("ascii")
        except FileNotFoundError:
            if not self._data_path(blob_id).exists():
                raise BlobNotFound(blob_id) from None
            return None
        manifest = _Manifest.parse(blob_id, text)
        with self._lock:
            self._manifests[blob_id] = manifest
            while len(self._manifests) > 64:
                self._manifests.popitem(last=False)
        return manifest

    def _acquire(self, blob_id: str) -> None:
        with self._lock:
            self._readers[blob_id] = self._readers.get(blob_id, 0) + 1

    def _release(self, blob_id: str) -> None:
        with self._lock:
            left = self._readers[blob_id] - 1
            if left:
                self._readers[blob_id] = left
                return
            del self._readers[blob_id]
            if blob_id not in self._doomed:
                return
            self._doomed.discard(blob_id)
        self._remove(blob_id)

    # ------------------------------------------------------------------ deleting

    def delete(self, blob_id: str) -> None:
        """Remove a blob (a composite with its parts). Unknown ids are ignored, so a delete
        can be repeated after a crash. Open readers finish first."""
        _check_id(blob_id)
        with self._lock:
            if self._readers.get(blob_id):
                self._doomed.add(blob_id)
                return
        self._remove(blob_id)

    def _remove(self, blob_id: str) -> None:
        try:
            manifest = self._manifest_or_none(blob_id)
        except BlobNotFound:
            return
        if manifest is None:
            self._data_path(blob_id).unlink(missing_ok=True)
            return
        # The manifest first: a crash part-way leaves unreferenced parts, which sweep removes.
        self._manifest_path(blob_id).unlink(missing_ok=True)
        with self._lock:
            self._manifests.pop(blob_id, None)
        for part in manifest.ids:
            self._data_path(part).unlink(missing_ok=True)

    def clear(self) -> None:
        """Delete every blob and temporary file (a reset of all state)."""
        for entry in os.scandir(self.root):
            if _FANOUT.match(entry.name) or entry.name == _TMP:
                shutil.rmtree(entry.path, ignore_errors=True)
        self._tmp.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._manifests.clear()
            self._doomed.clear()

    def _scan(self) -> tuple[set[str], set[str]]:
        """Every plain and every composite blob id on disk."""
        plain: set[str] = set()
        composite: set[str] = set()
        for fan in os.scandir(self.root):
            if not (_FANOUT.match(fan.name) and fan.is_dir(follow_symlinks=False)):
                continue
            for entry in os.scandir(fan.path):
                name = entry.name
                if name.endswith(_MANIFEST_SUFFIX):
                    name = name[: -len(_MANIFEST_SUFFIX)]
                    if _ID.match(name):
                        composite.add(name)
                elif _ID.match(name):
                    plain.add(name)
        return plain, composite

    def orphans(self, referenced: Collection[str]) -> set[str]:
        """Blob ids on disk that neither ``referenced`` (every id the metadata store names)
        nor a referenced composite's parts account for. A blob being read is not an orphan."""
        plain, composite = self._scan()
        with self._lock:
            reading = set(self._readers)
        live: set[str] = set()
        wanted = set(referenced) | reading
        for blob_id in composite & wanted:
            live.add(blob_id)
            try:
                manifest = self._manifest_or_none(blob_id)
            except BlobNotFound:  # deleted meanwhile
                continue
            if manifest is not None:
                live.update(manifest.ids)
        live |= plain & wanted
        return (plain | composite) - live

    def sweep(self, referenced: Collection[str], *, min_age: float) -> int:
        """Delete :meth:`orphans` and leftover temporary files at least ``min_age`` seconds old;
        returns how many files went. An orphan composite loses its manifest only: its parts
        are judged on their own (an upload not yet completed still names them).

        Blobs are named in the metadata store only after they are written, so a blob written
        a moment ago is an orphan until its row commits. Sweep at start-up, before serving,
        with ``min_age=0``; while serving, only with a ``min_age`` far above any write's
        duration. Ages are against file times, so against the wall clock, not ``core.clock``
        (which tests move ahead).
        """
        cutoff = time.time() - min_age
        removed = 0
        for blob_id in self.orphans(referenced):
            for path in (self._data_path(blob_id), self._manifest_path(blob_id)):
                if _older(path, cutoff):
                    path.unlink(missing_ok=True)
                    removed += 1
                    with self._lock:
                        self._manifests.pop(blob_id, None)
        for entry in os.scandir(self._tmp):
            if _older(Path(entry.path), cutoff):
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
        return removed


def _older(path: Path, cutoff: float) -> bool:
    """Whether ``path`` exists and was last written, renamed or linked before ``cutoff``."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    return max(st.st_mtime, st.st_ctime) <= cutoff


@dataclass(frozen=True, slots=True)
class _Manifest:
    ids: tuple[str, ...]
    sizes: tuple[int, ...]
    starts: tuple[int, ...]  # offset of each part in the whole
    size: int

    @classmethod
    def parse(cls, blob_id: str, text: str) -> _Manifest:
        lines = text.splitlines()
        if not lines or lines[0] != _MANIFEST_HEADER:
            raise BlobCorrupt(f"composite blob {blob_id} has an unreadable manifest")
        ids: list[str] = []
        sizes: list[int] = []
        starts: list[int] = []
        offset = 0
        for line in lines[1:]:
            part, _, size_text = line.partition(" ")
            if not _ID.match(part) or not size_text.isdigit():
                raise BlobCorrupt(f"composite blob {blob_id} has an unreadable manifest")
            ids.append(part)
            sizes.append(int(size_text))
            starts.append(offset)
            offset += sizes[-1]
        return cls(tuple(ids), tuple(sizes), tuple(starts), offset)

    def segments(self, store: BlobStore, start: int, stop: int) -> deque[tuple[Path, int, int]]:
        """The ``(file, offset, length)`` pieces of bytes ``[start, stop)``, in order."""
        pieces: deque[tuple[Path, int, int]] = deque()
        i = max(bisect.bisect_right(self.starts, start) - 1, 0)
        while i < len(self.ids) and self.starts[i] < stop:
            lo = max(start, self.starts[i]) - self.starts[i]
            hi = min(stop, self.starts[i] + self.sizes[i]) - self.starts[i]
            if hi > lo:
                pieces.append((store._data_path(self.ids[i]), lo, hi - lo))
            i += 1
        return pieces


class BlobReader:
    """Bytes of one blob's range, in order: a readable binary file object and an iterator of
    chunks of up to :data:`CHUNK_SIZE`. ``length`` is how many bytes it yields in all;
    ``remaining`` how many are still to come. Close it (or use ``with``)."""

    def __init__(
        self,
        store: BlobStore,
        blob_id: str,
        segments: deque[tuple[Path, int, int]],
        file: Any,
        file_left: int,
    ) -> None:
        self.blob_id = blob_id
        self._segments = segments
        self._file = file
        self._file_left = file_left
        self.length = file_left + sum(length for _, _, length in segments)
        self.remaining = self.length
        self.closed = False
        # The store counted this reader in open(); give the count back once, on close or GC.
        self._release = weakref.finalize(self, store._release, blob_id)

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all that remain when ``size`` is negative or ``None``);
        ``b""`` at the end."""
        if self.closed:
            raise ValueError("read of a closed blob reader")
        want = self.remaining if size is None or size < 0 else min(size, self.remaining)
        pieces: list[bytes] = []
        while want > 0:
            if self._file_left == 0:
                self._next_file()
                continue
            data = self._file.read(min(want, self._file_left))
            if not data:
                raise BlobCorrupt(f"blob {self.blob_id} is shorter than its recorded size")
            pieces.append(data)
            want -= len(data)
            self._file_left -= len(data)
            self.remaining -= len(data)
        if len(pieces) == 1:
            return pieces[0]
        return b"".join(pieces)

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the current part (fewer bytes at a part's end); 0 at the end."""
        if self.closed:
            raise ValueError("read of a closed blob reader")
        while self.remaining and self._file_left == 0:
            self._next_file()
        want = min(len(buffer), self._file_left, self.remaining)
        if want <= 0:
            return 0
        n = self._file.readinto(memoryview(buffer)[:want])
        if not n:
            raise BlobCorrupt(f"blob {self.blob_id} is shorter than its recorded size")
        self._file_left -= n
        self.remaining -= n
        return n

    def _next_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        path, offset, length = self._segments.popleft()
        try:
            self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by _next_file/close
        except FileNotFoundError:
            raise BlobCorrupt(f"a part of blob {self.blob_id} is missing") from None
        if offset:
            self._file.seek(offset)
        self._file_left = length

    def readable(self) -> bool:
        return True

    def mapped(self, size: int) -> memoryview:
        """The next up-to-``size`` bytes as a view of the file mapped into memory (no copy);
        empty at the end. The view keeps its mapping alive on its own (blobs never change),
        so it may outlive the reader, as a transport that could not send it yet keeps it."""
        if self.closed:
            raise ValueError("read of a closed blob reader")
        while self.remaining and self._file_left == 0:
            self._next_file()
        want = min(size, self._file_left, self.remaining)
        if want <= 0:
            return memoryview(b"")
        position = self._file.tell()
        start = position - position % mmap.ALLOCATIONGRANULARITY
        mapping = _map_read(self._file.fileno(), want + position - start, start)
        self._file.seek(want, os.SEEK_CUR)
        self._file_left -= want
        self.remaining -= want
        return memoryview(mapping)[position - start :]

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        chunk = self.read(CHUNK_SIZE)
        if not chunk:
            raise StopIteration
        return chunk

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._file is not None:
            self._file.close()
            self._file = None
        self._segments.clear()
        self._release()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _map_read(fd: int, length: int, offset: int) -> mmap.mmap:
    """A read-only mapping of ``length`` bytes of ``fd`` from ``offset`` (pages loaded at once
    where the system can)."""
    if hasattr(mmap, "MAP_SHARED"):
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        return mmap.mmap(fd, length, flags=flags, prot=mmap.PROT_READ, offset=offset)
    return mmap.mmap(fd, length, access=mmap.ACCESS_READ, offset=offset)


def _chunks(source: Source) -> Iterator[bytes | memoryview]:
    """The pieces of ``source``; views into one reused buffer for files (use each before the next)."""
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source).cast("B")
        for i in range(0, len(view), CHUNK_SIZE):
            yield view[i : i + CHUNK_SIZE]
        return
    readinto = getattr(source, "readinto", None)
    if readinto is not None:
        buf = bytearray(CHUNK_SIZE)
        view = memoryview(buf)
        while n := readinto(view):
            yield view[:n]
        return
    read = getattr(source, "read", None)
    if read is not None:
        while chunk := read(CHUNK_SIZE):
            yield chunk
        return
    for chunk in source:  # type: ignore[union-attr]
        if chunk:
            yield chunk


def _write_all(f: Any, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        n = f.write(view)
        view = view[n:]


def _fsync_dir(path: Path) -> None:
    """Make a directory's entries (a rename into it) durable; POSIX only."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
