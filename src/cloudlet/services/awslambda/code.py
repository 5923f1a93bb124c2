"""Deployment packages: validated zips kept in the data directory, each unpacked beside it.

Layout under ``<data_dir>/lambda/code/`` (a temporary directory with ``--in-memory``)::

    <code_id>.zip     the package as uploaded (owner-only, 0600)
    <code_id>/        its files, unpacked (owner-only; executable bits of the zip kept)

Function versions and layer versions refer to a ``code_id``; a package no row refers to is
removed after the transaction that dropped its last reference, and at start-up (a crash
between writing a package and committing its row leaves it unreferenced).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cloudlet.config import private_dir
from cloudlet.services.awslambda.errors import invalid, too_large

MAX_ZIPPED = 52_428_800  # direct upload
MAX_UNZIPPED = 262_144_000  # function and its layers
BAD_ZIP = "Could not unzip uploaded file. Please check your file, then try to upload again."


@dataclass(frozen=True)
class Package:
    """A stored package."""

    code_id: str
    sha256: str  # base64 of the zip's SHA-256, as CodeSha256
    size: int  # zipped bytes
    unzipped: int


def inspect(data: bytes) -> int:
    """The unzipped size of a valid zip, else AWS's error."""
    if len(data) > MAX_ZIPPED:
        raise too_large(f"Zipped size must be smaller than {MAX_ZIPPED} bytes")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if archive.testzip() is not None:
                raise invalid(BAD_ZIP)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise invalid(BAD_ZIP) from None
    unzipped = sum(i.file_size for i in infos)
    if unzipped > MAX_UNZIPPED:
        raise invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
    return unzipped


def sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class CodeStore:
    """Packages on disk, by id."""

    def __init__(self, root: str | Path | None) -> None:
        self._owned: tempfile.TemporaryDirectory[str] | None = None
        if root is None:
            self._owned = tempfile.TemporaryDirectory(prefix="cloudlet-lambda-")
            root = self._owned.name
        self.root = private_dir(Path(root))

    def zip_path(self, code_id: str) -> Path:
        return self.root / f"{code_id}.zip"

    def unpacked(self, code_id: str) -> Path:
        """The directory the package's files are unpacked in (what the executor runs)."""
        return self.root / code_id

    def put(self, data: bytes) -> Package:
        """Validate, store and unpack a zip (blocking: call it from a worker thread for large ones)."""
        unzipped = inspect(data)
        code_id = uuid.uuid4().hex
        tmp = self.root / f".{code_id}.tmp"
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.zip_path(code_id))
        try:
            _unpack(data, self.unpacked(code_id))
        except BaseException:
            self.remove(code_id)
            raise
        return Package(code_id, sha256(data), len(data), unzipped)

    def read(self, code_id: str) -> bytes:
        return self.zip_path(code_id).read_bytes()

    def remove(self, code_id: str) -> None:
        self.zip_path(code_id).unlink(missing_ok=True)
        shutil.rmtree(self.unpacked(code_id), ignore_errors=True)

    def sweep(self, keep: set[str]) -> None:
        """Remove every package (and leftover temporary file) not in ``keep``."""
        for entry in self.root.iterdir():
            code_id = entry.name.removesuffix(".zip")
            if entry.name.startswith(".") or code_id not in keep:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)

    def clear(self) -> None:
        self.sweep(set())

    def close(self) -> None:
        if self._owned is not None:
            self._owned.cleanup()
            self._owned = None


def _unpack(data: bytes, target: Path) -> None:
    """Extract inside ``target`` only (no absolute or ``..`` paths), owner-only modes, keeping
    the zip's executable bits (a custom runtime's ``bootstrap``)."""
    tmp = target.with_name(f".{target.name}.unpacking")
    shutil.rmtree(tmp, ignore_errors=True)
    private_dir(tmp)
    root = tmp.resolve()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            path = (root / info.filename).resolve()
            if root != path and root not in path.parents:
                continue  # a path escaping the package is not extracted
            if info.is_dir():
                path.mkdir(mode=0o700, parents=True, exist_ok=True)
                continue
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            mode = (info.external_attr >> 16) & 0o777
            executable = bool(mode & 0o111) and not stat.S_ISLNK(info.external_attr >> 16)
            fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o700 if executable else 0o600)
            with os.fdopen(fd, "wb") as out, archive.open(info) as src:
                shutil.copyfileobj(src, out)
    os.replace(tmp, target)
