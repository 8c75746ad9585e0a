"""Issue 17 item 1: a jail's memory and processes have one ceiling, whatever it shares or forks.

Each probe stops itself far below the machine's memory (at most 512 MiB, against a 128 MiB ceiling), so
a ceiling that does not hold shows up as a probe that reached its end, not as a machine in trouble.
"""
import os

import pytest

from tests.tasks.humaneval import needs_sandbox
from agents.tasks.humaneval import ceiling as ceiling_module
from agents.tasks.humaneval import jail as jail_module
from agents.tasks.humaneval.ceiling import Ceiling, describe, detect
from agents.tasks.humaneval.sandbox import Jail, Limits, run_in_sandbox

pytestmark = needs_sandbox

SMALL = Limits(jail_memory_mb=128)

MEMFD_FLOOD = """
import os
total, fds, chunk = 0, [], b"m" * (8 << 20)
while total < (512 << 20):          # stops itself at 512 MiB
    fd = os.memfd_create("flood")
    os.write(fd, chunk)
    os.write(fd, chunk)             # 16 MiB per memfd: within the 16 MiB file-size rlimit
    fds.append(fd)
    total += 16 << 20
    print(total >> 20, flush=True)
print("REACHED", total >> 20)
"""

CHILDREN = """
import os, time
kids = []
for _ in range(4):                  # 4 x 64 MiB, each under the per-process rlimit
    pid = os.fork()
    if pid == 0:
        block = bytearray(64 << 20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(1.0)
        os._exit(0)
    kids.append(pid)
print("statuses", [os.waitpid(pid, 0)[1] for pid in kids])
"""

SYSV = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def shmget(size):
    ident = libc.shmget(0, ctypes.c_size_t(size), 0o1600)
    return ident, ctypes.get_errno()
print("big", *shmget(256 << 20))
got = [shmget(4 << 20) for _ in range(8)]
print("made", sum(ident >= 0 for ident, _ in got))
print("limits", open("/proc/sys/kernel/shmmax").read().strip(), open("/proc/sys/kernel/shmall").read().strip())
try:
    open("/proc/sys/kernel/shmmax", "w").write("68719476736")
    print("RAISED the limit")
except OSError as error:
    print("cannot raise", type(error).__name__)
print("segments before mine", len(open("/proc/sysvipc/shm").readlines()) - 1 - sum(ident >= 0 for ident, _ in got))
"""


def _needs_cgroup():
    found = detect()
    if not found.counts_memory:
        pytest.skip(f"no cgroup on this host: {found.why}")
    return found


def test_the_ceiling_in_force_is_named():
    text = describe()
    found = detect()
    assert found.kind in ("cgroup2", "cgroup1", "none")
    assert text.startswith(found.kind if found.counts_memory else "per process only")
    if os.geteuid() == 0:
        assert found.ipc, "root could not give the jail an IPC namespace with low limits"


def test_memfds_cannot_outgrow_the_jail():
    _needs_cgroup()
    result = run_in_sandbox(MEMFD_FLOOD, timeout=30, limits=SMALL)
    assert "REACHED" not in result.stdout
    assert result.status == "killed", (result.status, result.stdout[-200:], result.stderr[-300:])
    assert int(result.stdout.split()[-1]) <= 128


def test_children_share_one_ceiling():
    _needs_cgroup()
    result = run_in_sandbox(CHILDREN, timeout=30, limits=SMALL)
    assert result.ok, result.stderr[-300:]
    statuses = eval(result.stdout.split("statuses", 1)[1])
    assert any(status == 9 for status in statuses), f"4 x 64 MiB all fitted under 128 MiB: {statuses}"


def test_sysv_shared_memory_is_small_and_its_limit_cannot_be_raised():
    if not detect().ipc:
        pytest.skip("the kit cannot set IPC limits here (not root)")
    result = run_in_sandbox(SYSV, timeout=20)
    assert result.ok, result.stderr[-300:]
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["big"].split()[0] == "-1"                       # 256 MiB: over shmmax
    assert int(lines["made"]) <= 4                               # 16 MiB in all
    assert lines["limits"] == f"{16 << 20} {(16 << 20) // os.sysconf('SC_PAGE_SIZE')}"
    assert lines["cannot"] == "raise PermissionError"
    assert lines["segments"] == "before mine 0"                  # a fresh IPC namespace


def test_the_host_sees_the_jails_cgroup_limits_and_it_goes_away():
    found = _needs_cgroup()
    with Jail(["/usr/bin/sleep", "30"], {}, timeout=30, limits=Limits(jail_memory_mb=96, processes=5)) as jail:
        assert jail.child_pid
        paths = list(jail.cgroup.paths)
        with open(f"/proc/{jail.child_pid}/cgroup") as handle:
            membership = handle.read()
        if found.kind == "cgroup2":
            (path,) = paths
            assert open(f"{path}/memory.max").read().strip() == str(96 << 20)
        else:
            path, pids_path = paths
            assert open(f"{path}/memory.limit_in_bytes").read().strip() == str(96 << 20)
            path = pids_path
        assert open(f"{path}/pids.max").read().strip() == str(5 + ceiling_module.HELPERS)
        assert os.path.basename(paths[0]) in membership
    assert ceiling_module._REMOVER.wait(10)  # what was still busy at close goes in the background
    assert not any(os.path.exists(path) for path in paths)


FALLBACK_PROBE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
try:
    os.memfd_create("x")
    print("memfd MADE")
except OSError as error:
    print("memfd refused", error.errno)
ident = libc.shmget(0, ctypes.c_size_t(1 << 20), 0o1600)
print("shmget", "MADE" if ident >= 0 else "refused", ctypes.get_errno() if ident < 0 else 0)
"""


@pytest.mark.parametrize("ipc", [True, False])
def test_without_a_cgroup_no_page_escapes_the_rlimits(monkeypatch, ipc):
    """The fallback (a host that gives no cgroup): memfds, which no rlimit counts, are not offered, nor
    SysV segments where no IPC limit bounds them either."""
    if ipc and not detect().ipc:
        pytest.skip("the kit cannot set IPC limits here (not root)")
    monkeypatch.setattr(jail_module, "detect", lambda: Ceiling("none", ipc=ipc, why="test"))
    result = run_in_sandbox(FALLBACK_PROBE, timeout=20)
    assert result.ok, result.stderr[-300:]
    lines = result.stdout.splitlines()
    assert lines[0] == "memfd refused 1"
    assert lines[1] == ("shmget MADE 0" if ipc else "shmget refused 1")


FORKS_AND_THREADS = """
import errno, os, threading, time
kids, why = [], "REACHED"
for _ in range(64):                 # stops itself at 64 processes
    try:
        pid = os.fork()
    except OSError as error:
        why = errno.errorcode.get(error.errno, error.errno)
        break
    if pid == 0:
        time.sleep(20)              # the jail's end (its init dying) takes them all
        os._exit(0)
    kids.append(pid)
print("forks", len(kids), why)
for pid in kids:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
threads, why, stop = [], "REACHED", threading.Event()
for _ in range(64):                 # and at 64 threads
    try:
        thread = threading.Thread(target=stop.wait, daemon=True)
        thread.start()
    except RuntimeError as error:
        why = "refused"
        break
    threads.append(thread)
stop.set()
print("threads", len(threads), why)
"""


def test_pids_max_holds_without_the_per_uid_process_limit(monkeypatch):
    """The cgroup's pids.max alone (RLIMIT_NPROC taken off) stops forks and threads near the jail's
    ``processes``: it counts every task of the jail whatever its uid."""
    _needs_cgroup()
    per_uid = jail_module.Limits.prlimit_args
    monkeypatch.setattr(jail_module.Limits, "prlimit_args",
                        lambda self, cpu_s, processes=True: per_uid(self, cpu_s, processes=False))
    result = run_in_sandbox(FORKS_AND_THREADS, timeout=30, limits=Limits(processes=8))
    assert result.ok, result.stderr[-300:]
    lines = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()}
    assert lines["forks"][1] == "EAGAIN" and int(lines["forks"][0]) <= 8, result.stdout
    assert lines["threads"][1] == "refused" and int(lines["threads"][0]) <= 8, result.stdout
