"""Issue 17 items 2-4: inside the real jail, no new namespaces (so no capabilities back), only the socket
families the jail needs, and no keyring, neither the kit's nor one a jail before it planted.

Every probe stays in the jail's own network namespace (there is nothing else in it but its loopback).
"""
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tasks.humaneval import needs_sandbox
from agents.tasks.humaneval import jail as jail_module
from agents.tasks.humaneval.sandbox import run_in_sandbox
from agents.tasks.humaneval.syscall_filter import NAMESPACE_FLAGS

pytestmark = needs_sandbox

REPO = Path(__file__).resolve().parents[3]

PRELUDE = """
import ctypes, errno, json, os, socket
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
results = {}
def attempt(name, call):
    ctypes.set_errno(0)
    try:
        value = call()
    except OSError as error:
        results[name] = ["refused", errno.errorcode.get(error.errno, error.errno)]
        return
    results[name] = ["refused", errno.errorcode.get(ctypes.get_errno())] if value == -1 else ["ALLOWED", value]
"""

NAMESPACES = PRELUDE + """
NR = {"x86_64": dict(clone=56, clone3=435, setns=308, bpf=321, io_uring_setup=425, userfaultfd=323,
                    perf_event_open=298, ptrace=101),
      "aarch64": dict(clone=220, clone3=435, setns=268, bpf=280, io_uring_setup=425, userfaultfd=282,
                      perf_event_open=241, ptrace=117)}[os.uname().machine]
for name in ("bpf", "io_uring_setup", "userfaultfd", "perf_event_open", "ptrace"):
    attempt(name, lambda name=name: libc.syscall(NR[name], 0, 0, 0, 0, 0))   # ptrace(PTRACE_TRACEME)...
for name, flag in %(flags)s.items():
    attempt("unshare " + name, lambda flag=flag: libc.unshare(flag))
attempt("unshare user+net", lambda: libc.unshare(0x10000000 | 0x40000000))
def clone_user():
    pid = libc.syscall(NR["clone"], 0x10000000 | 17, 0, 0, 0, 0)   # CLONE_NEWUSER | SIGCHLD
    if pid == 0:
        os._exit(0)                                                 # a child that got through leaves at once
    if pid > 0:
        os.waitpid(pid, 0)
    return pid
attempt("clone CLONE_NEWUSER", clone_user)
attempt("clone3", lambda: libc.syscall(NR["clone3"], 0, 0))
attempt("setns", lambda: libc.syscall(NR["setns"], os.open("/proc/self/ns/net", os.O_RDONLY), 0))
os.makedirs("/sandbox/mnt", exist_ok=True)
attempt("mount tmpfs", lambda: libc.mount(b"none", b"/sandbox/mnt", b"tmpfs", 0, b"size=512m"))
attempt("chroot", lambda: libc.chroot(b"/sandbox"))
status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
results["status"] = {key: status[key].strip() for key in ("CapEff", "CapPrm", "NoNewPrivs", "Seccomp")}
print(json.dumps(results))
""" % {"flags": dict(NAMESPACE_FLAGS)}

SOCKETS = PRELUDE + """
AF_VSOCK, AF_NETLINK, AF_PACKET, NETLINK_NETFILTER, NETLINK_ROUTE = 40, 16, 17, 12, 0
attempt("vsock stream", lambda: socket.socket(AF_VSOCK, socket.SOCK_STREAM).fileno())
attempt("vsock dgram", lambda: socket.socket(AF_VSOCK, socket.SOCK_DGRAM).fileno())
attempt("netlink netfilter", lambda: socket.socket(AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER).fileno())
attempt("netlink route", lambda: socket.socket(AF_NETLINK, socket.SOCK_DGRAM, NETLINK_ROUTE).fileno())
attempt("packet", lambda: socket.socket(AF_PACKET, socket.SOCK_RAW, 0).fileno())
attempt("raw icmp", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).fileno())
attempt("raw icmp6", lambda: socket.socket(socket.AF_INET6, socket.SOCK_RAW, 58).fileno())
attempt("ping socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP).fileno())
attempt("family with high bits", lambda: libc.syscall(41, (1 << 32) | AF_VSOCK, socket.SOCK_STREAM, 0))
attempt("socketpair inet", lambda: libc.socketpair(socket.AF_INET, socket.SOCK_STREAM, 0, (ctypes.c_int * 2)()))
# what an honest program may do: a Unix pair, and a TCP round trip on the jail's own loopback
a, b = socket.socketpair()
a.sendall(b"unix")
results["unix pair"] = b.recv(4).decode()
server = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(server.getsockname(), timeout=5)
conn, _ = server.accept()
client.sendall(b"loopback")
results["tcp loopback"] = conn.recv(8).decode()
print(json.dumps(results))
"""

KEYRINGS = PRELUDE + """
KEY_SPEC_SESSION, KEY_SPEC_USER = -3, -4
attempt("add_key session", lambda: libc.syscall(248, b"user", b"reinagent-plant", b"planted", 7, KEY_SPEC_SESSION))
attempt("add_key user", lambda: libc.syscall(248, b"user", b"reinagent-plant", b"planted", 7, KEY_SPEC_USER))
attempt("keyctl session id", lambda: libc.syscall(250, 0, KEY_SPEC_SESSION, 0))
attempt("keyctl search", lambda: libc.syscall(250, 10, KEY_SPEC_SESSION, b"user", b"reinagent-secret", 0))
attempt("request_key", lambda: libc.syscall(249, b"user", b"reinagent-secret", None, 0))
attempt("keyctl join session", lambda: libc.syscall(250, 1, None))
try:
    results["/proc/keys"] = open("/proc/keys").read()
except OSError as error:
    results["/proc/keys"] = "unreadable: " + type(error).__name__
print(json.dumps(results))
"""


def _run(code: str) -> dict:
    result = run_in_sandbox(code, timeout=20)
    assert result.ok, result.stderr[-800:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _allowed(results: dict) -> dict:
    return {name: value for name, value in results.items() if isinstance(value, list) and value[0] == "ALLOWED"}


needs_x86_64 = pytest.mark.skipif(platform.machine() != "x86_64", reason="the probes use x86_64 syscall numbers")


@pytest.mark.skipif(platform.machine() not in ("x86_64", "aarch64"), reason="syscall numbers for x86_64/aarch64")
def test_no_new_namespace_and_no_capability_comes_back():
    results = _run(NAMESPACES)
    assert _allowed(results) == {}
    assert results["clone3"] == ["refused", "ENOSYS"]  # so the C library falls back to clone, which is read
    assert results["unshare CLONE_NEWUSER"] == ["refused", "EPERM"]
    for name in ("bpf", "io_uring_setup", "userfaultfd", "perf_event_open", "ptrace", "mount tmpfs", "setns"):
        assert results[name] == ["refused", "EPERM"], name  # unfiltered, several would answer EFAULT, EINVAL or 0
    assert results["status"] == {"CapEff": "0" * 16, "CapPrm": "0" * 16, "NoNewPrivs": "1", "Seccomp": "2"}


@needs_x86_64
def test_a_system_call_of_another_abi_kills_the_process():
    # unshare(CLONE_NEWUSER) through the i386 entry point (int 0x80, i386 number 310): the filter is
    # written for x86_64 numbers, so any other ABI is refused outright, by killing the process.
    code = """
import ctypes, mmap
page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(bytes([0x53, 0xB8, 0x36, 0x01, 0, 0, 0xBB, 0, 0, 0, 0x10, 0xCD, 0x80, 0x5B, 0xC3]))  # push rbx; mov eax,310; mov ebx,0x10000000; int 0x80; pop rbx; ret
function = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
print("RETURNED", function(), flush=True)
"""
    result = run_in_sandbox(code, timeout=20)
    assert "RETURNED" not in result.stdout
    assert result.status == "killed", (result.status, result.stderr[-300:])


@needs_x86_64
def test_only_unix_and_loopback_inet_sockets():
    results = _run(SOCKETS)
    assert _allowed(results) == {}
    assert results["vsock stream"] == ["refused", "EAFNOSUPPORT"]
    assert results["netlink route"] == ["refused", "EAFNOSUPPORT"]
    assert results["unix pair"] == "unix" and results["tcp loopback"] == "loopback"


@needs_x86_64
def test_no_keyring_calls_in_the_jail():
    results = _run(KEYRINGS)
    assert _allowed(results) == {}
    assert "reinagent" not in results["/proc/keys"]


@needs_x86_64
def test_the_kits_keys_stay_out_of_reach():
    """A kit whose session keyring holds a secret (as Docker gives every container one) runs a jail
    that looks for it every way it can."""
    kit = f"""
import ctypes, json, sys
sys.path.insert(0, {str(REPO)!r})
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
assert libc.syscall(250, 1, None) > 0                       # KEYCTL_JOIN_SESSION_KEYRING: a fresh one
key = libc.syscall(248, b"user", b"reinagent-secret", b"SECRET-KEY-9d41", 15, -3)
assert key > 0, ctypes.get_errno()
from agents.tasks.humaneval.sandbox import run_in_sandbox
probe = {KEYRINGS!r} + '''
for ident in range({{key}} - 50, {{key}} + 50):
    buffer = ctypes.create_string_buffer(64)
    if libc.syscall(250, 11, ident, buffer, 64) > 0:       # KEYCTL_READ
        print("READ", buffer.value)
'''
result = run_in_sandbox(probe.replace("{{key}}", str(key)), timeout=20)
print(json.dumps({{"stdout": result.stdout, "stderr": result.stderr[-500:], "status": result.status}}))
"""
    done = subprocess.run([sys.executable, "-c", kit], capture_output=True, text=True, timeout=120, cwd=str(REPO))
    assert done.returncode == 0, done.stderr[-1000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "ok", outcome["stderr"]
    assert "SECRET-KEY" not in outcome["stdout"] and "READ" not in outcome["stdout"]
    assert "reinagent-secret" not in outcome["stdout"]


@needs_x86_64
def test_a_key_planted_by_one_jail_is_not_there_for_the_next_with_the_same_uid(monkeypatch):
    taken = []
    real_take = jail_module._UIDS.take

    def same_uid():
        uid = taken[0] if taken else real_take()
        taken.append(uid)
        return uid

    monkeypatch.setattr(jail_module._UIDS, "take", same_uid)
    first = _run(PRELUDE + """
attempt("plant", lambda: libc.syscall(248, b"user", b"reinagent-plant", b"PLANTED-3c1e", 12, -4))
print(json.dumps(results))
""")
    second = _run(PRELUDE + """
found = libc.syscall(250, 10, -4, b"user", b"reinagent-plant", 0)   # KEYCTL_SEARCH the user keyring
buffer = ctypes.create_string_buffer(64)
if found > 0 and libc.syscall(250, 11, found, buffer, 64) > 0:
    results["read"] = buffer.value.decode()
print(json.dumps(results))
""")
    assert len(set(taken)) == 1 and len(taken) >= 2
    assert first["plant"][0] == "refused"
    assert "read" not in second
    if os.path.exists("/proc/keys") and os.geteuid() == 0:
        assert "reinagent-plant" not in Path("/proc/keys").read_text()
