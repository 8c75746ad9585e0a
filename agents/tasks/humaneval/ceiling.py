"""The memory and process ceiling of a whole jail: a cgroup of its own, and a SysV IPC namespace with low
limits. Which of them this host allows is found out once, at run time; :func:`describe` says which is in
force (the manifest records it).

Why rlimits are not enough: ``RLIMIT_AS`` caps each process's mappings, but shared memory (SysV
segments, memfds) belongs to no process once it is unmapped, and ``RLIMIT_NPROC`` x ``RLIMIT_AS`` is
16 GiB. So, where the host allows it (the kit runs as root and may write the cgroup filesystem):

- **cgroup** (v2 ``memory.max`` + ``pids.max``, or v1 ``memory.limit_in_bytes`` + ``pids.max``): one per
  jail, joined by the jail's first process before bwrap starts, so everything the jail ever runs, and
  every page it ever touches (anonymous memory, its tmpfs, SysV segments, memfds, page tables) counts
  against one number; past it the kernel's OOM killer picks inside the jail. ``pids.max`` counts the
  jail's processes and threads whatever their uid.
- **IPC namespace limits**: the jail's IPC namespace is made by ``unshare --ipc`` just before bwrap,
  and its ``kernel.shm*``, ``kernel.msg*``, ``kernel.sem`` and ``fs.mqueue.*`` are set low while the
  process is still root (the jailed uid can then neither raise them nor read the host's segments);
  ``kernel.shm_rmid_forced`` frees a segment as soon as no process has it attached.

Without a cgroup (no root, a read-only cgroup filesystem, a cgroup v2 host where the kit's cgroup
holds processes), the ceiling is per process: ``memory_mb`` x ``processes``, with ``memfd_create``
(and, without IPC limits, SysV ``shmget``/``msgget``) refused by the seccomp filter so that no page
escapes the rlimits. ``REINAGENT_CGROUP`` names a cgroup
(v2) under which the kit may make the jails' (e.g. one made by ``systemd-run --scope -p Delegate=yes``),
or ``off``.

    >>> sysctls(16)["kernel/shmmax"], sysctls(16)["kernel/shm_rmid_forced"]
    ('16777216', '1')
    >>> detect().kind in ("cgroup2", "cgroup1", "none")  # doctest: +SKIP
    True
"""
from __future__ import annotations

import functools
import itertools
import os
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass

from .leftovers import clean_cgroups, owner_tag

CGROUP_PREFIX = "reinagent-"
CGROUP_ROOT = "/sys/fs/cgroup"
WRAPPER_NAME = "reinagent-jail"  # $0 of the wrapper shell, what `ps` shows before bwrap replaces it
HELPERS = 3  # bwrap outside, bwrap as the PID namespace's init, the jail's first command: not the program's


def sysctls(ipc_mb: int) -> dict[str, str]:
    """The IPC namespace's limits for a jail allowed ``ipc_mb`` MiB of SysV shared memory in all."""
    page = os.sysconf("SC_PAGE_SIZE")
    return {"kernel/shmmax": str(ipc_mb << 20), "kernel/shmall": str((ipc_mb << 20) // page),
            "kernel/shmmni": "16", "kernel/shm_rmid_forced": "1",
            "kernel/msgmni": "16", "kernel/msgmnb": "65536", "kernel/msgmax": "8192",
            "kernel/sem": "32 512 32 16",  # per set, in all, per semop, sets
            "fs/mqueue/queues_max": "16", "fs/mqueue/msg_max": "10", "fs/mqueue/msgsize_max": "8192"}


@dataclass(frozen=True)
class Ceiling:
    """What this host allows: ``kind`` is ``cgroup2``, ``cgroup1`` or ``none`` (then ``why`` says why);
    ``parents`` are where the jails' cgroups go (v1: the memory one, then the pids one); ``ipc``: the IPC
    limits can be set."""

    kind: str
    parents: tuple = ()
    ipc: bool = False
    why: str = ""

    @property
    def counts_memory(self) -> bool:
        return self.kind != "none"


class JailCgroup:
    """One jail's cgroup (one directory per hierarchy); ``close()`` removes it once the jail is gone."""

    _numbers = itertools.count()

    def __init__(self, ceiling: Ceiling, memory_mb: int, processes: int):
        self.ceiling, self.paths = ceiling, []
        name = f"{CGROUP_PREFIX}{owner_tag()}-{next(self._numbers)}"
        memory, pids = str(memory_mb << 20), str(processes + HELPERS)
        try:
            if ceiling.kind == "cgroup2":
                path = os.path.join(ceiling.parents[0], name)
                self._make(path)
                _write(path, "memory.max", memory)
                _write(path, "pids.max", pids)
                for knob, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                    _write(path, knob, value, optional=True)  # the whole jail goes at once on an OOM
            else:
                memory_parent, pids_parent = ceiling.parents
                path = os.path.join(memory_parent, name)
                self._make(path)
                _write(path, "memory.limit_in_bytes", memory)
                _write(path, "memory.memsw.limit_in_bytes", memory, optional=True)  # no swap around it
                path = os.path.join(pids_parent, name)
                self._make(path)
                _write(path, "pids.max", pids)
        except BaseException:
            self.close()
            raise

    def _make(self, path: str) -> None:
        os.mkdir(path)
        self.paths.append(path)

    @property
    def procs_files(self) -> list[str]:
        return [os.path.join(path, "cgroup.procs") for path in self.paths]

    def close(self) -> None:
        """Remove the cgroup. The jail's PID namespace is already gone, but its last processes may
        still be leaving the cgroup: what cannot go at once goes in the background (no jail waits)."""
        busy = []
        for path in reversed(self.paths):
            try:
                os.rmdir(path)
            except FileNotFoundError:
                pass
            except OSError:
                busy.append(path)
        if busy:
            _REMOVER.add(busy)
        self.paths = []


class _Remover:
    """Retries the removal of cgroups that were still busy, every 20 ms for up to ``patience_s``; what is
    left after that (or at exit) is the next kit's to clean (its owner tag names a dead kit by then)."""

    def __init__(self, patience_s: float = 10.0):
        self.patience_s, self.pending, self.lock, self.thread = patience_s, [], threading.Lock(), None

    def add(self, paths: list[str]) -> None:
        with self.lock:
            deadline = time.monotonic() + self.patience_s
            self.pending += [(path, deadline) for path in paths]
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="reinagent-cgroup-remover", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(0.02)
            with self.lock:
                left = []
                for path, deadline in self.pending:
                    try:
                        os.rmdir(path)
                    except FileNotFoundError:
                        pass
                    except OSError:
                        if time.monotonic() < deadline:
                            _write(path, "cgroup.kill", "1", optional=True)  # v2: anything still in it goes
                            left.append((path, deadline))
                self.pending = left
                if not left:
                    self.thread = None
                    return

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until nothing is pending (tests); True if so."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if not self.pending:
                    return True
            time.sleep(0.02)
        return False


_REMOVER = _Remover()


def _write(directory: str, knob: str, value: str, optional: bool = False) -> None:
    try:
        with open(os.path.join(directory, knob), "w", encoding="ascii") as handle:
            handle.write(value)
    except OSError:
        if not optional:
            raise


def wrapper(ceiling: Ceiling, cgroup: JailCgroup | None, ipc_mb: int) -> list[str]:
    """The command that goes before bwrap: join the cgroup, make and limit the IPC namespace, then
    ``exec`` bwrap (the arguments that follow). Empty when there is nothing to do.

    >>> wrapper(Ceiling("none", ipc=True), None, 16)[:5]
    ['/usr/bin/unshare', '--ipc', '--', '/bin/sh', '-c']
    >>> wrapper(Ceiling("none"), None, 16)
    []
    """
    steps = [f"echo $$ > {shlex.quote(path)}" for path in (cgroup.procs_files if cgroup else [])]
    if ceiling.ipc:
        steps += [f"echo {shlex.quote(value)} > /proc/sys/{key}" for key, value in sysctls(ipc_mb).items()]
    if not steps:
        return []
    shell = ["/bin/sh", "-c", " && ".join(steps + ['exec "$@"']), WRAPPER_NAME]
    return (["/usr/bin/unshare", "--ipc", "--"] if ceiling.ipc else []) + shell


# -- finding out what this host allows --------------------------------------------------------------------

def _mounts() -> list[tuple[str, str, str, set]]:
    """(mount point, root within the hierarchy, fs type, super options) of every cgroup mount."""
    found = []
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as handle:
            for line in handle:
                left, _, right = line.partition(" - ")
                fields, tail = left.split(), right.split()
                if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
                    found.append((fields[4], fields[3], tail[0], set(tail[2].split(","))))
    except OSError:
        pass
    return found


def _own_cgroups() -> dict[str, str]:
    """Controller (or ``""`` for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    own = {}
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as handle:
            for line in handle:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for controller in controllers.split(",") if controllers else [""]:
                    own[controller] = path
    except (OSError, ValueError):
        pass
    return own


def _directory(mount_point: str, mount_root: str, path: str) -> str:
    """The directory of cgroup ``path`` in a mount of the hierarchy's ``mount_root`` at ``mount_point``."""
    if mount_root != "/" and (path == mount_root or path.startswith(mount_root.rstrip("/") + "/")):
        path = path[len(mount_root):]
    elif mount_root != "/":
        return mount_point  # the process sits outside what is mounted (an odd container): use the top
    candidate = os.path.join(mount_point, path.lstrip("/"))
    return candidate if os.path.isdir(candidate) else mount_point


def _v2_parents() -> list[str]:
    chosen = os.environ.get("REINAGENT_CGROUP", "")
    mounts = [(point, root) for point, root, kind, _ in _mounts() if kind == "cgroup2"]
    if not mounts:
        return []
    point, root = mounts[0]
    own = _directory(point, root, _own_cgroups().get("", "/"))
    return list(dict.fromkeys(([chosen] if chosen else []) + [own, point]))


def _v1_parents() -> tuple | None:
    own, parents = _own_cgroups(), {}
    for point, root, kind, options in _mounts():
        for controller in ("memory", "pids"):
            if kind == "cgroup" and controller in options and controller not in parents:
                parents[controller] = _directory(point, root, own.get(controller, "/"))
    return (parents["memory"], parents["pids"]) if len(parents) == 2 else None


def _delegates(parent: str) -> bool:
    """cgroup v2: may children of ``parent`` get memory and pids controllers (enabling them if needed)?"""
    try:
        with open(os.path.join(parent, "cgroup.subtree_control"), encoding="ascii") as handle:
            enabled = set(handle.read().split())
        if {"memory", "pids"} <= enabled:
            return True
        _write(parent, "cgroup.subtree_control", "+memory +pids")
        return True
    except OSError:  # EBUSY: processes live in it (the "no internal processes" rule); EACCES, EROFS...
        return False


def _probe(ceiling: Ceiling) -> str:
    """Start the wrapper (with a cgroup where the ceiling has one) on /usr/bin/true; '' if it worked."""
    cgroup = None
    try:
        if ceiling.counts_memory:
            cgroup = JailCgroup(ceiling, 64, 4)
        done = subprocess.run(wrapper(ceiling, cgroup, 16) + ["/usr/bin/true"], capture_output=True,
                              timeout=20, env={"PATH": "/usr/bin:/bin"})
        return "" if done.returncode == 0 else done.stderr.decode(errors="replace").strip()[-300:] or "failed"
    except (OSError, subprocess.SubprocessError) as error:
        return str(error)
    finally:
        if cgroup is not None:
            cgroup.close()


@functools.lru_cache(maxsize=None)
def detect() -> Ceiling:
    """Once per process: which ceiling can this host give a jail? (See the module docstring.)"""
    if os.geteuid() != 0:
        return Ceiling("none", why="the kit is not root, so it cannot make cgroups or set IPC limits")
    ipc = os.access("/usr/bin/unshare", os.X_OK) and not _probe(Ceiling("none", ipc=True))
    if os.environ.get("REINAGENT_CGROUP", "") == "off":
        return Ceiling("none", ipc=ipc, why="REINAGENT_CGROUP=off")
    tried = []
    for parent in _v2_parents():
        if not _delegates(parent):
            tried.append(f"cgroup v2 at {parent}: memory and pids cannot be delegated to its children "
                         "(it holds processes, or is read-only)")
            continue
        clean_cgroups(parent, CGROUP_PREFIX)
        ceiling = Ceiling("cgroup2", (parent,), ipc)
        failure = _probe(ceiling)
        if not failure:
            return ceiling
        tried.append(f"cgroup v2 at {parent}: {failure}")
    parents = _v1_parents()
    if parents:
        for parent in parents:
            clean_cgroups(parent, CGROUP_PREFIX)
        ceiling = Ceiling("cgroup1", parents, ipc)
        failure = _probe(ceiling)
        if not failure:
            return ceiling
        tried.append(f"cgroup v1 at {', '.join(parents)}: {failure}")
    return Ceiling("none", ipc=ipc, why="; ".join(tried) or "no cgroup filesystem is mounted")


def describe(memory_mb: int = 1024, processes: int = 16, ipc_mb: int = 16, per_process_mb: int = 1024,
             ceiling: Ceiling | None = None) -> str:
    """In words: the ceiling a jail gets here, with these limits (what the README and the manifest say).

    >>> describe(ceiling=Ceiling("none", why="not root"))[:60]
    'per process only (no cgroup: not root): 1024 MiB of address '
    """
    ceiling = ceiling or detect()
    ipc = (f"SysV IPC at most {ipc_mb} MiB of shared memory in the jail's own IPC namespace"
           if ceiling.ipc else "SysV IPC in the jail's own IPC namespace at the kernel's default limits")
    if ceiling.counts_memory:
        knob = "memory.max" if ceiling.kind == "cgroup2" else "memory.limit_in_bytes"
        return (f"{ceiling.kind}: {knob} {memory_mb} MiB and pids.max {processes + HELPERS} per jail "
                f"(under {', '.join(ceiling.parents)}), every page counted (memfds, shared memory, tmpfs); "
                f"{ipc}; plus {per_process_mb} MiB of address space per process")
    if not ceiling.ipc:
        ipc = "SysV shared memory and message queues refused"
    return (f"per process only (no cgroup: {ceiling.why}): {per_process_mb} MiB of address space x up to "
            f"{processes} processes; {ipc}; memfd_create refused")
