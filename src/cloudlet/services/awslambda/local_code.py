"""Hot reload: a function whose code is a directory on the Cloudlet host instead of a package.

The convention of local AWS clouds: CreateFunction / UpdateFunctionCode with
``Code: {S3Bucket: "hot-reload", S3Key: "/abs/path/to/dir"}`` (the bucket name is the
``lambda_hot_reload_bucket`` setting) runs the directory itself. Its path is kept in the
version's configuration (``_hot_reload_dir``, never answered) and its ``_code_id`` is None.

- ``CodeSha256``/``CodeSize`` are computed when the code is set (create, update): the base64
  SHA-256 over the files (relative path and content, in path order) and their total size.
- Every invocation first takes a stamp of the tree (the path, size and modification time of
  each entry, in a worker thread); the stamp is part of the environment key, so an environment
  started before a file changed is never reused, and the idle ones of older stamps are ended.
- ``.git`` and ``__pycache__`` directories are left out of both (not code the function runs;
  they change without the code changing). Directory symlinks are not followed.

Letting API callers run code from any directory the server can read is only safe on a server
nobody else reaches: it is refused when Cloudlet listens on an address other than loopback,
unless ``lambda_hot_reload_any_host`` allows it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudlet.services.awslambda.code import MAX_UNZIPPED
from cloudlet.services.awslambda.errors import invalid

if TYPE_CHECKING:
    from cloudlet.config import Config
    from cloudlet.services.awslambda.code import CodeStore
    from cloudlet.services.awslambda.executor import Executor

KEY = "_hot_reload_dir"  # the version configuration's internal member holding the directory
SKIPPED = frozenset({".git", "__pycache__"})
MAX_ENTRIES = 100_000  # files and directories: bounds the scan before each invocation
_READ = 1024 * 1024


@dataclass(frozen=True)
class LocalCode:
    """A checked code directory; shaped like ``code.Package`` where the provider uses one."""

    directory: str
    sha256: str
    size: int
    code_id: None = None


def loopback(host: str) -> bool:
    """Whether a server listening on ``host`` is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def requested(settings: Config, code: dict[str, Any]) -> LocalCode | None:
    """The directory a FunctionCode (or UpdateFunctionCode's parameters) names through the
    hot-reload bucket, checked and hashed; None for any other code."""
    bucket = settings.lambda_hot_reload_bucket
    if not bucket or code.get("ZipFile") is not None or code.get("S3Bucket") != bucket:
        return None
    if not settings.lambda_hot_reload_any_host and not loopback(settings.host):
        # unverified: Cloudlet's own wording (no AWS equivalent)
        raise invalid(
            f"Hot reload (S3Bucket {bucket}) is refused: Cloudlet listens on {settings.host}, not only "
            "on loopback. Set CLOUDLET_LAMBDA_HOT_RELOAD_ANY_HOST=1 to allow it."
        )
    path = code.get("S3Key") or ""
    if not os.path.isabs(path) or not os.path.isdir(path):
        # unverified: Cloudlet's own wording (no AWS equivalent)
        raise invalid(
            f"Hot reload (S3Bucket {bucket}): S3Key must be the absolute path of an existing directory "
            f"on the Cloudlet host, not {path!r}."
        )
    directory = os.path.normpath(path)
    sha256, size = await asyncio.to_thread(digest, directory)
    return LocalCode(directory, sha256, size)


def mark(config: dict[str, Any], local: LocalCode | None) -> None:
    """Record in a version configuration whether its code is a directory (and which)."""
    if local is None:
        config.pop(KEY, None)
    else:
        config[KEY] = local.directory


def directory_of(config: dict[str, Any]) -> Path | None:
    """The code directory of a hot-reload version, None for a package."""
    found = config.get(KEY)
    return Path(found) if found else None


def code_answer(config: dict[str, Any]) -> dict[str, str] | None:
    """GetFunction's ``Code`` for a hot-reload version: the directory as a ``file://`` URL
    (there is no package to download); None for a package."""
    found = directory_of(config)
    if found is None:
        return None
    return {"RepositoryType": "S3", "Location": found.as_uri()}  # unverified: Cloudlet's own answer


def _entries(root: str) -> Iterator[tuple[str, os.stat_result]]:
    """Every file and directory under ``root`` (relative path, stat), in a fixed order."""
    pending = [""]
    while pending:
        relative = pending.pop()
        try:
            with os.scandir(os.path.join(root, relative)) as it:
                listed = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for entry in listed:
            name = os.path.join(relative, entry.name)
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED:
                        yield name, entry.stat(follow_symlinks=False)
                        pending.append(name)
                    continue
                found = entry.stat()
            except OSError:  # a broken symlink, a file removed while listed
                continue
            yield name, found


def stamp(root: str) -> str:
    """What changes whenever a file under ``root`` is added, removed, renamed or written."""
    h = hashlib.blake2b(digest_size=16)
    for name, st in _entries(root):
        h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode(errors="surrogateescape"))
    return h.hexdigest()


def digest(root: str) -> tuple[str, int]:
    """``CodeSha256`` (base64 SHA-256 of each file's relative path and content, in a fixed
    order) and ``CodeSize`` (total bytes of the files) of a directory; AWS's error for more
    than it unzips (250 MB), Cloudlet's for more than ``MAX_ENTRIES`` entries."""
    files: list[str] = []
    size = 0
    for count, (name, st) in enumerate(_entries(root)):
        if count >= MAX_ENTRIES:
            # unverified: Cloudlet's own wording
            raise invalid(f"Hot reload: {root} holds more than {MAX_ENTRIES} files and directories.")
        if stat.S_ISREG(st.st_mode):
            files.append(name)
            size += st.st_size
            if size > MAX_UNZIPPED:
                raise invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
    h = hashlib.sha256()
    for name in files:
        h.update(name.encode(errors="surrogateescape") + b"\0")
        try:
            with open(os.path.join(root, name), "rb") as f:
                while chunk := f.read(_READ):
                    h.update(chunk)
        except OSError:
            continue
    return base64.b64encode(h.digest()).decode(), size


async def current(config: dict[str, Any]) -> str | None:
    """The stamp of a hot-reload version's directory now (in a worker thread), None for a package."""
    found = config.get(KEY)
    return None if not found else await asyncio.to_thread(stamp, found)


def code_of(
    codes: CodeStore, executor: Executor, key: tuple[str, ...], config: dict[str, Any], stamped: str | None
) -> tuple[Path, tuple[str, ...]]:
    """The directory a version's environments run, and their key: ``key`` (the version's)
    completed with the package id, or for a hot-reload version with the directory's stamp
    (``stamped`` if taken, else taken now); idle environments of other stamps are ended."""
    found = config.get(KEY)
    if not found:
        return codes.unpacked(config["_code_id"]), (*key, config["_code_id"])
    full = (*key, "dir:" + (stamped or stamp(found)))
    for other in [k for k in executor.idle if k[:-1] == key and k != full]:
        for env in executor.idle.pop(other):
            executor.later(env.kill())
    return Path(found), full
