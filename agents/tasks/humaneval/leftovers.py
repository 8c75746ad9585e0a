"""What a killed kit leaves behind, and how the next one recognises and removes it.

Every jail folder (``reinagent-jail-*`` in the temp directory) and every jail cgroup carries the tag
of the kit process that made it: its pid and its start time (so a recycled pid is not mistaken for the
old owner). A SIGKILLed kit cannot clean up, so the next kit to start a jail removes whatever belongs
to a process that no longer exists: hidden tests never wait on disk for a reader.

    >>> tag = owner_tag()
    >>> owner_alive(tag), owner_alive("1-0"), owner_alive("not-a-tag")
    (True, False, False)
"""
from __future__ import annotations

import functools
import os
import shutil
import tempfile
import time

DIR_PREFIX = "reinagent-jail-"
LEGACY_AGE_S = 3600.0  # an untagged folder (older kits) older than this belongs to nobody


def _start_time(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat (start time in clock ticks since boot), or None if no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@functools.lru_cache(maxsize=None)
def _tag_of(pid: int) -> str:
    return f"{pid}-{_start_time(pid) or 0}"


def owner_tag() -> str:
    """``PID-STARTTIME`` of this process (recomputed after a fork)."""
    return _tag_of(os.getpid())


def owner_alive(tag: str) -> bool:
    """Whether the process that wrote ``tag`` still runs (same pid, same start time)."""
    pid, _, start = tag.partition("-")
    if not pid.isdigit() or not start.isdigit():
        return False
    return _start_time(int(pid)) == start


def tag_in(name: str, prefix: str) -> str | None:
    """The owner tag in a name made as ``prefix + TAG + '-' + rest``, else None.

    >>> tag_in("reinagent-jail-12-3456-abc", DIR_PREFIX), tag_in("reinagent-jail-x7a", DIR_PREFIX)
    ('12-3456', None)
    """
    if not name.startswith(prefix):
        return None
    parts = name[len(prefix):].split("-")
    if len(parts) < 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return f"{parts[0]}-{parts[1]}"


def clean_jail_dirs(root: str | None = None) -> list[str]:
    """Remove the jail folders of kits that are gone (and untagged ones over an hour old); returns them."""
    root = root or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(root)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(DIR_PREFIX):
            continue
        path = os.path.join(root, name)
        tag = tag_in(name, DIR_PREFIX)
        try:
            stale = (not owner_alive(tag)) if tag else time.time() - os.lstat(path).st_mtime > LEGACY_AGE_S
        except OSError:
            continue
        if stale and os.path.isdir(path) and not os.path.islink(path):
            for folder, _, _ in os.walk(path):  # a 0500 folder must get its write bit back to be emptied
                try:
                    os.chmod(folder, 0o700)
                except OSError:
                    pass
            shutil.rmtree(path, ignore_errors=True)
            if not os.path.exists(path):
                removed.append(path)
    return removed


def clean_cgroups(parent: str, prefix: str) -> list[str]:
    """Remove the (empty) jail cgroups under ``parent`` whose kit is gone; returns them."""
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        tag = tag_in(name, prefix)
        if tag is None or owner_alive(tag):
            continue
        path = os.path.join(parent, name)
        try:
            os.rmdir(path)  # a cgroup is removed with rmdir; it fails (EBUSY) while a process is in it
            removed.append(path)
        except OSError:
            pass
    return removed
