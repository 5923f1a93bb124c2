"""Temporary files for request bodies too large to keep in memory.

They are named files in one directory (:func:`configure`; the system's temporary directory
until then), so that a body which becomes an S3 object can be hard-linked into the blob
store instead of copied, when both are on one file system. A file is removed when closed.

A spool file also digests what is written to it while the body is still arriving, so that
nothing is read again after: the MD5 (S3's ETag) on a thread of its own that reads the file
behind the writer (from the page cache: memory stays flat), and the CRC64NVME (the checksum
S3 gives an object uploaded without one) as each piece is written, ~6 GB/s.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from cloudlet.config import private_dir

SPOOL_AT = 8 * 1024 * 1024  # bodies larger than this go to a spool file
_PREFIX = "body-"
_READ = 1024 * 1024

_directory: str | None = None


def configure(directory: Path | str | None) -> None:
    """Spool into ``directory`` (created; files left there by a killed process removed)."""
    global _directory
    if directory is None:
        _directory = None
        return
    path = private_dir(directory)
    for leftover in path.glob(_PREFIX + "*"):
        leftover.unlink(missing_ok=True)
    _directory = str(path)


@cache
def _crc64nvme_function() -> Callable[[Any, int], int]:
    """``awscrt``'s CRC64NVME, imported when the first spool file is made (loading it takes ~70 ms)."""
    from awscrt import checksums

    return checksums.crc64nvme


class SpoolFile:
    """A named temporary file that digests its bytes as they are written (every write is
    flushed, so the MD5 thread sees it); reading is the file's own, buffered."""

    def __init__(self) -> None:
        self._file = tempfile.NamedTemporaryFile(dir=_directory, prefix=_PREFIX)  # noqa: SIM115
        self.name: str = self._file.name
        self._written = 0
        self._ended = False
        self._md5 = hashlib.md5()
        self._crc = _crc64nvme_function()
        self._crc64nvme = 0
        self._changed = threading.Condition()
        self._digester = threading.Thread(target=self._digest, name="cloudlet-spool-md5", daemon=True)
        self._digester.start()

    def write(self, data: Any) -> int:
        n = self._file.write(data)
        self._file.flush()
        self._crc64nvme = self._crc(data, self._crc64nvme)
        with self._changed:
            self._written += n
            self._changed.notify()
        return n

    def md5(self) -> Any:
        """The MD5 (a hashlib object) of everything written; the writing is over once asked."""
        self._end()
        self._digester.join()
        return self._md5

    def crc64nvme(self) -> int:
        """The CRC64NVME of everything written so far."""
        return self._crc64nvme

    def _end(self) -> None:
        with self._changed:
            self._ended = True
            self._changed.notify()

    def _digest(self) -> None:
        done = 0
        buffer = memoryview(bytearray(_READ))
        try:
            with open(self.name, "rb", buffering=0) as reader:
                while True:
                    with self._changed:
                        while done >= self._written and not self._ended:
                            self._changed.wait()
                        target, ended = self._written, self._ended
                    while done < target:
                        n = reader.readinto(buffer[: min(_READ, target - done)])
                        if not n:
                            return
                        self._md5.update(buffer[:n])
                        done += n
                    if ended and done >= self._written:
                        return
        except OSError:
            return  # the file was closed and removed before the digest was asked for

    # -- otherwise, the file's own interface (read, readinto, readline, seek, tell, ...) --
    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def close(self) -> None:
        self._end()
        self._file.close()

    def __enter__(self) -> SpoolFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Body:
    """A body arriving in pieces: kept in memory up to ``SPOOL_AT`` bytes, then in a spool file."""

    __slots__ = ("_chunks", "file", "size")

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self.file: SpoolFile | None = None
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.file is None and self.size > SPOOL_AT:
            self.file = new_file()
            self.file.write(b"".join(self._chunks))
            self._chunks = []
        if self.file is not None:
            self.file.write(data)
        else:
            self._chunks.append(data)

    def value(self) -> bytes | SpoolFile:
        """The bytes, or the spool file from its start (the caller then closes it)."""
        if self.file is None:
            return b"".join(self._chunks)
        self.file.seek(0)
        return self.file

    def close(self) -> None:
        self._chunks = []
        if self.file is not None:
            self.file.close()
            self.file = None


def new_file() -> SpoolFile:
    """A new, empty spool file (removed when closed)."""
    return SpoolFile()
