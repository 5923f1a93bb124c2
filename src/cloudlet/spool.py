"""Temporary files for request bodies too large to keep in memory.

They are named files in one directory (:func:`configure`; the system's temporary directory
until then), so that a body which becomes an S3 object can be hard-linked into the blob
store instead of copied, when both are on one file system. A file is removed when closed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO

SPOOL_AT = 8 * 1024 * 1024  # bodies larger than this go to a spool file
_PREFIX = "body-"

_directory: str | None = None


def configure(directory: Path | str | None) -> None:
    """Spool into ``directory`` (created; files left there by a killed process removed)."""
    global _directory
    if directory is None:
        _directory = None
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for leftover in path.glob(_PREFIX + "*"):
        leftover.unlink(missing_ok=True)
    _directory = str(path)


def new_file() -> IO[bytes]:
    """A new, empty spool file (removed when closed)."""
    return tempfile.NamedTemporaryFile(dir=_directory, prefix=_PREFIX)
