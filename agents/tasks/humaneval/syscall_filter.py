"""The jail's seccomp filter: the system calls a jailed program may not make, compiled to BPF for bwrap.

A jailed program has no capabilities, but the kernel still offers it ways to get some back or to reach
the host: a user namespace of its own hands it every capability inside (and with them raw sockets,
netfilter sockets and new mounts: the usual road to a kernel exploit); keyrings are shared with the kit
and with every later jail of the same uid; vsock reaches the hypervisor. The filter shuts those doors.
It is a deny list (the rest of the system call table stays open to ordinary Python), modelled on what
Docker's default profile refuses:

- **namespaces and mounts**: ``unshare``, ``setns``, ``clone`` with any ``CLONE_NEW*`` flag, ``clone3``
  (answered ENOSYS, so the C library falls back to ``clone``, whose flags the filter can read), every
  mount call, ``chroot``, ``pivot_root``;
- **keyrings**: ``add_key``, ``keyctl``, ``request_key``;
- **sockets**: only ``AF_UNIX``, ``AF_INET`` and ``AF_INET6`` (the jail's own loopback), never raw or
  packet sockets; ``socketpair`` for ``AF_UNIX`` only;
- **kernel attack surface** a program never needs: ``bpf``, ``perf_event_open``, ``userfaultfd``,
  ``io_uring_*``, ``ptrace``, ``process_vm_*``, module and kexec calls, ``open_by_handle_at``, clocks,
  swap, reboot, quotas, ``TIOCSTI``;
- ``memfd_create`` when no memory cgroup holds the jail (:func:`build_filter` ``memfd=False``), and
  SysV ``shmget``/``msgget`` when neither a cgroup nor low IPC limits bound them (``sysv=False``):
  where nothing counts those pages against the jail, it gets none.

Everything else answers ``EPERM`` (``EAFNOSUPPORT`` for a refused socket family); a system call of
another ABI (i386 ``int 0x80``, x32) kills the process. The filter is built with libseccomp (through
the ``pyseccomp`` package, a ctypes binding) and loaded by bwrap (``--seccomp FD``) just before it
starts the jail's first command, so it binds every process of the jail.

What a deny list cannot promise: a system call newer than the installed libseccomp knows is not
filtered (:data:`REQUIRED` names the ones whose absence refuses to build at all).

    >>> POLICY["keyctl"], POLICY["clone3"]
    ('EPERM', 'ENOSYS')
    >>> len(build_filter()) % 8 == 0  # BPF instructions are 8 bytes  # doctest: +SKIP
    True
"""
from __future__ import annotations

import errno
import functools
import os
import platform
import tempfile

from .unavailable import SandboxUnavailable

INSTALL_HINT = ("the sandbox's seccomp filter needs libseccomp and its Python binding: "
                "`apt-get install -y libseccomp2` (Debian/Ubuntu) and `pip install pyseccomp`")

NAMESPACE_FLAGS = {"CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
                   "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
                   "CLONE_NEWNET": 0x40000000}
AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10
ALLOWED_FAMILIES = (AF_UNIX, AF_INET, AF_INET6)
SOCK_RAW, SOCK_PACKET, SOCK_TYPE_MASK = 3, 10, 0xF
TIOCSTI, TIOCLINUX = 0x5412, 0x541C

_NAMESPACES_AND_MOUNTS = ("unshare", "setns", "mount", "umount", "umount2", "pivot_root", "chroot", "open_tree",
                          "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr")
_KEYRINGS = ("add_key", "keyctl", "request_key")
_KERNEL_SURFACE = ("bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
                   "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "kexec_load",
                   "kexec_file_load", "init_module", "finit_module", "delete_module", "create_module",
                   "get_kernel_syms", "query_module", "open_by_handle_at", "name_to_handle_at", "fanotify_init",
                   "lookup_dcookie", "nfsservctl", "quotactl", "quotactl_fd", "swapon", "swapoff", "reboot",
                   "acct", "syslog", "settimeofday", "stime", "clock_settime", "clock_adjtime", "adjtimex",
                   "sethostname", "setdomainname", "vhangup", "uselib", "ustat", "sysfs", "_sysctl", "iopl",
                   "ioperm", "vm86", "vm86old", "move_pages", "migrate_pages")
POLICY = {**{name: "EPERM" for name in _NAMESPACES_AND_MOUNTS + _KEYRINGS + _KERNEL_SURFACE}, "clone3": "ENOSYS"}
# Without these names known to libseccomp the filter would leave a door of this issue open: refuse.
REQUIRED = ("unshare", "setns", "clone", "clone3", "mount", "add_key", "keyctl", "request_key", "socket",
            "socketpair", "bpf", "io_uring_setup", "open_tree", "fsopen", "memfd_create")


def _clone_flags_arg() -> int:
    """Which argument of ``clone`` holds its flags: the first, except on s390 (the second)."""
    return 1 if platform.machine() in ("s390", "s390x") else 0


def _library():
    try:
        import pyseccomp
    except (ImportError, RuntimeError, OSError) as error:  # RuntimeError: the binding found no libseccomp
        raise SandboxUnavailable(f"{INSTALL_HINT} ({error})") from None
    return pyseccomp


@functools.lru_cache(maxsize=4)
def build_filter(memfd: bool = True, sysv: bool = True) -> bytes:
    """The compiled BPF program (bytes, as bwrap's ``--seccomp`` reads it). Built once per process."""
    sc = _library()
    native = sc.Arch.NATIVE
    unknown = [name for name in REQUIRED if sc.resolve_syscall(native, name) == -1]  # -1: __NR_SCMP_ERROR
    if unknown:
        raise SandboxUnavailable(f"the installed libseccomp does not know {', '.join(unknown)}: "
                                 f"upgrade it (libseccomp 2.5 or later). {INSTALL_HINT}")
    flt = sc.SyscallFilter(sc.ALLOW)
    flt.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)
    eperm, enosys = sc.ERRNO(errno.EPERM), sc.ERRNO(errno.ENOSYS)

    def deny(action: int, name: str, *args) -> None:
        number = sc.resolve_syscall(native, name)
        if number == -1:  # __NR_SCMP_ERROR: a name this libseccomp has never heard of (an old, gone call)
            return
        flt.add_rule(action, number, *args)  # a negative pseudo-number (not on this arch) is accepted

    for name, action in POLICY.items():
        deny(eperm if action == "EPERM" else enosys, name)
    flags = _clone_flags_arg()
    for bit in NAMESPACE_FLAGS.values():
        deny(eperm, "clone", sc.Arg(flags, sc.MASKED_EQ, bit, bit))
    no_family = sc.ERRNO(errno.EAFNOSUPPORT)
    # Only AF_UNIX (1), AF_INET (2) and AF_INET6 (10): refuse 0, 3..9 and anything above 10, which
    # also catches a family with high bits set (the kernel would read only the low 32).
    deny(no_family, "socket", sc.Arg(0, sc.LT, AF_UNIX))
    for family in range(AF_INET + 1, AF_INET6):
        deny(no_family, "socket", sc.Arg(0, sc.EQ, family))
    deny(no_family, "socket", sc.Arg(0, sc.GT, AF_INET6))
    for kind in (SOCK_RAW, SOCK_PACKET):
        deny(eperm, "socket", sc.Arg(1, sc.MASKED_EQ, SOCK_TYPE_MASK, kind))
    deny(no_family, "socketpair", sc.Arg(0, sc.LT, AF_UNIX))
    deny(no_family, "socketpair", sc.Arg(0, sc.GT, AF_UNIX))
    for request in (TIOCSTI, TIOCLINUX):  # typing into a terminal the kit may share
        deny(eperm, "ioctl", sc.Arg(1, sc.EQ, request))
    if not memfd:
        deny(eperm, "memfd_create")
    if not sysv:
        deny(eperm, "shmget")
        deny(eperm, "msgget")
    with tempfile.TemporaryFile() as handle:
        flt.export_bpf(handle)
        handle.seek(0)
        return handle.read()


def filter_fd(memfd: bool = True, sysv: bool = True) -> int:
    """A file descriptor (inheritable, positioned at 0) holding the filter, for ``bwrap --seccomp FD``.
    The caller closes it once bwrap has started."""
    program = build_filter(memfd, sysv)
    read_fd, write_fd = os.pipe()
    try:  # the program is a few KiB: it fits in the pipe's buffer, so this never blocks
        view = memoryview(program)
        while view:
            view = view[os.write(write_fd, view):]
    finally:
        os.close(write_fd)
    return read_fd


def describe(memfd: bool = True, sysv: bool = True) -> str:
    """One line for the README and the manifest: what the filter refuses.

    >>> describe(memfd=False).startswith("seccomp (libseccomp): no user/mount/net namespaces")
    True
    """
    text = ("seccomp (libseccomp): no user/mount/net namespaces (unshare, setns, clone CLONE_NEW*, clone3), "
            "no mounts, no keyrings (add_key, keyctl, request_key), sockets AF_UNIX/AF_INET/AF_INET6 only "
            "(no raw, packet, netlink or vsock), no bpf/io_uring/ptrace/perf/userfaultfd/modules")
    return text + ("" if memfd else ", no memfd_create") + ("" if sysv else ", no SysV shmget/msgget")
