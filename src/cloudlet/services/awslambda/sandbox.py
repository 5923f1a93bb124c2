"""Each execution environment's own ``/tmp``.

On Lambda, ``/tmp`` belongs to one execution environment. Here an environment's process
starts in a mount namespace of its own (``unshare --mount``, with a user namespace when
Cloudlet does not run as root) where its temporary directory is bind-mounted on ``/tmp``.
Directories under the host's ``/tmp`` that the process needs (the function's code in an
in-memory server, a virtualenv or checkout living there) are bind-mounted read-only at the
same paths inside it first. Where namespaces are not available the environment gets
``TMPDIR`` only (the server log says so once).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

log = logging.getLogger("cloudlet.lambda")

HOST_TMP = Path("/tmp")
# $1: the environment's directory; then the directories to keep (read-only); "--"; the command.
# A refused mount leaves the process on the host's /tmp (said on stderr) rather than failing it.
_SCRIPT = r"""
own=$1; shift; ok=1
while [ "$1" != "--" ]; do
  kept="$own/$(basename "$1")"
  { mkdir -p "$kept" && mount --bind "$1" "$kept" && mount -o remount,bind,ro "$kept"; } || ok=0
  shift
done
shift
if [ $ok = 1 ]; then mount --rbind "$own" /tmp || ok=0; fi
[ $ok = 1 ] || echo "cloudlet: this environment's /tmp is the host's (a mount was refused)" >&2
cd "$PWD"
exec "$@"
"""


def _unshare_argv() -> list[str]:
    argv = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        argv[1:1] = ["--user", "--map-root-user"]
    return argv


@cache
def available() -> bool:
    """Whether environments can have their own ``/tmp`` here (probed once)."""
    if not (shutil.which("unshare") and shutil.which("mount") and shutil.which("sh")):
        log.info("Lambda environments share /tmp (no unshare/mount here); each gets its own TMPDIR")
        return False
    try:
        probe = subprocess.run(
            [*_unshare_argv(), "sh", "-c", "mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp"],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        probe = None
    if probe is None or probe.returncode != 0:
        log.info("Lambda environments share /tmp (mount namespaces refused); each gets its own TMPDIR")
        return False
    return True


def kept(paths: list[Path]) -> list[Path]:
    """The top-level directories under the host's /tmp that ``paths`` live in."""
    found: list[Path] = []
    for path in paths:
        try:
            relative = path.resolve().relative_to(HOST_TMP.resolve())
        except ValueError:
            continue
        if relative.parts:
            top = HOST_TMP / relative.parts[0]
            if top not in found:
                found.append(top)
    return found


def wrap(argv: list[str], own: Path, needed: list[Path]) -> list[str]:
    """``argv`` run with ``own`` as its ``/tmp`` (and ``needed`` paths still reachable)."""
    keep = [str(p) for p in kept(needed) if p != own]
    return [*_unshare_argv(), "sh", "-c", _SCRIPT, "sandbox", str(own), *keep, "--", *argv]
