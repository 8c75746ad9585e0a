"""Issue 17 items 6-8: what a hidden-test verdict may carry into the records, what a killed kit leaves on
disk, and where a user finds the scorer.
"""
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.tasks.humaneval import needs_sandbox
from agents.tasks.humaneval import ceiling
from agents.tasks.humaneval.leftovers import DIR_PREFIX, owner_tag
from agents.tasks.humaneval.scoring import score, score_many

pytestmark = needs_sandbox

REPO = Path(__file__).resolve().parents[3]
SECRET_PARTS = ("SECRET", "INPUT", "5b2e")  # joined only at run time: no program below contains it
SECRET = "-".join(SECRET_PARTS)

LEAKY_PROBLEM = {
    "task_id": "Leak/0",
    "prompt": 'def digits(text: str) -> str:\n    """The digits of text, as a string."""\n',
    "entry_point": "digits",
    "canonical_solution": "    return ''.join(c for c in text if c.isdigit())\n",
    "test": textwrap.dedent(f'''
        def check(candidate):
            assert candidate("a1b2") == "12"
            value = candidate("{SECRET}")
            assert int(value) == 52
    '''),
}


def leaky(code: str) -> str:
    return textwrap.indent(textwrap.dedent(code).strip("\n") + "\n", "    ")


# Each one, once it sees the hidden input, tries to get it into the verdict's reason.
LEAKS = {
    "in_its_exception_message": leaky("""
        if text == "a1b2":
            return "12"
        raise ValueError("the input was " + text)"""),
    "printed_to_both_streams": leaky("""
        import sys
        print("INPUT", text)
        print("INPUT", text, file=sys.stderr)
        return "0" if text != "a1b2" else "12\""""),
    "in_its_exception_class_name": leaky("""
        if text == "a1b2":
            return "12"
        raise type("Leak_" + text.replace("-", "_"), (Exception,), {})()"""),
    "as_a_value_the_tests_choke_on": leaky("""
        return "12" if text == "a1b2" else text        # int(text) raises with the text in its message"""),
    "in_an_unencodable_class_name": leaky("""
        if text == "a1b2":
            return "12"
        return type("Leak_" + text.replace("-", "_"), (), {})()"""),
    "in_system_exit": leaky("""
        import sys
        if text == "a1b2":
            return "12"
        sys.exit("the input was " + text)"""),
    "printed_then_crashed": leaky("""
        import os, sys
        if text == "a1b2":
            return "12"
        sys.stderr.write("the input was " + text)
        sys.stderr.flush()
        os._exit(3)"""),
    "printed_then_hung": leaky("""
        import sys, time
        if text == "a1b2":
            return "12"
        print("the input was " + text, file=sys.stderr, flush=True)
        time.sleep(60)"""),
    "in_a_keyerror": leaky("""
        return {"a1b2": "12"}[text]"""),
}


@pytest.fixture(scope="module")
def leak_results():
    names = sorted(LEAKS)
    results = score_many([(LEAKY_PROBLEM, LEAKS[name]) for name in names], timeout=5, workers=4)
    return dict(zip(names, results))


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_the_reason_never_holds_what_the_program_saw(leak_results, name):
    result = leak_results[name]
    assert not result.passed
    for part in SECRET_PARTS:
        assert part not in result.reason and part.lower() not in result.reason.lower(), result.reason
    assert "input was" not in result.reason and "Leak_" not in result.reason


def test_the_reason_still_says_where_and_how(leak_results):
    reasons = {name: result.reason for name, result in leak_results.items()}
    assert reasons["in_its_exception_message"] == "the program raised ValueError on a hidden test (line 4 of the tests)"
    assert reasons["in_its_exception_class_name"].startswith("the program raised an exception of its own class")
    assert reasons["as_a_value_the_tests_choke_on"] == "a hidden test raised ValueError (line 5 of the tests)"
    assert "cannot leave the sandbox" in reasons["in_an_unencodable_class_name"]
    assert reasons["in_system_exit"].startswith("the program raised SystemExit")
    assert "process ended" in reasons["printed_then_crashed"]
    assert "timed out" in reasons["printed_then_hung"]
    assert reasons["printed_to_both_streams"] == "a hidden test failed (line 5 of the tests)"


def test_the_records_hidden_reason_is_the_same_clean_text():
    from agents.tasks.humaneval import TASK

    sample = TASK.sample_from(LEAKY_PROBLEM)
    scores = TASK.score(sample, SimpleNamespace(answer=LEAKS["in_its_exception_message"], strategy="reflexion",
                                                feedback=None, extra={}))
    assert scores["pass"] is False
    assert SECRET not in scores["hidden_reason"] and "ValueError" in scores["hidden_reason"]


def test_a_load_error_is_kept_it_was_written_before_any_test():
    result = score(LEAKY_PROBLEM, "    return text\n\nraise RuntimeError('my own message at import')\n", timeout=10)
    assert "failed to load" in result.reason and "my own message at import" in result.reason


# -- item 7: nothing of the hidden tests on disk, and a killed kit's leftovers cleaned ---------------------

def _dead_tag() -> str:
    """The owner tag of a process that has exited (its pid and start time, read while it ran)."""
    child = subprocess.Popen(["sleep", "30"])
    try:
        stat = Path(f"/proc/{child.pid}/stat").read_text()
        start = stat.rsplit(")", 1)[1].split()[19]
    finally:
        child.kill()
        child.wait()
    return f"{child.pid}-{start}"


def _kit(code: str, **kwargs) -> subprocess.Popen:
    prelude = f"import sys\nsys.path.insert(0, {str(REPO)!r})\n"
    return subprocess.Popen([sys.executable, "-c", prelude + textwrap.dedent(code)], cwd=str(REPO),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def _files_holding(marker: str, root: str) -> list[str]:
    found = []
    for folder in Path(root).glob(f"{DIR_PREFIX}*"):
        for path in folder.rglob("*"):
            try:
                if path.is_file() and marker.encode() in path.read_bytes():
                    found.append(str(path))
            except OSError:
                pass
    return found


def test_a_killed_kits_jail_folders_and_cgroups_are_cleaned_by_the_next():
    root = tempfile.gettempdir()
    stale = Path(root) / f"{DIR_PREFIX}{_dead_tag()}-planted"
    stale.mkdir()
    (stale / "spec.json").write_text(SECRET)
    os.chmod(stale / "spec.json", 0o400)
    os.chmod(stale, 0o500)
    mine = Path(root) / f"{DIR_PREFIX}{owner_tag()}-alive"  # a live kit's folder is never touched
    mine.mkdir()
    try:
        # A kit scores a program that hangs while loading, and is SIGKILLed mid-verdict.
        kit = _kit(f"""
            from agents.tasks.humaneval.scoring import score
            problem = {{"prompt": "def f():\\n", "entry_point": "f",
                       "test": "def check(c):\\n    assert c() == {SECRET!r}\\n"}}
            print("started", flush=True)
            score(problem, "    return 1\\n\\nimport time\\ntime.sleep(60)\\n", timeout=60)
        """)
        assert kit.stdout.readline().strip() == "started"
        kit_dirs = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(kit_dirs) < 2:
            kit_dirs = [p for p in Path(root).glob(f"{DIR_PREFIX}{kit.pid}-*")]
            time.sleep(0.05)
        assert len(kit_dirs) == 2, "the kit never started its two jails"
        time.sleep(0.5)
        assert not stale.exists()                   # cleaned when this kit started its first jail
        assert _files_holding(SECRET, root) == []   # and the live judge's tests are not on disk at all
        kit.send_signal(signal.SIGKILL)
        kit.wait(timeout=10)
        killed_tag = next(p.name for p in kit_dirs)[len(DIR_PREFIX):].split("-")
        killed_tag = "-".join(killed_tag[:2])
        # The next kit to start a jail removes the dead kits' leftovers.
        nxt = _kit("""
            from agents.tasks.humaneval.sandbox import run_in_sandbox
            print(run_in_sandbox("print('ok')").stdout.strip())
        """)
        out, err = nxt.communicate(timeout=120)
        assert out.strip() == "ok", err[-500:]
        assert not any(p.exists() for p in kit_dirs)
        assert mine.exists()
        found = ceiling.detect()
        for parent in found.parents:
            assert not list(Path(parent).glob(f"{ceiling.CGROUP_PREFIX}{killed_tag}-*")), parent
    finally:
        mine.rmdir()
        if stale.exists():
            os.chmod(stale, 0o700)
            for path in stale.iterdir():
                path.unlink()
            stale.rmdir()


# -- item 8: the scorer where a user looks first ---------------------------------------------------------

def test_score_is_exported_by_the_task_package_with_its_return_type_documented():
    import agents.tasks.humaneval as humaneval
    from agents.tasks.humaneval import scoring

    assert humaneval.score is scoring.score and humaneval.ScoreResult is scoring.ScoreResult
    assert "ScoreResult" in humaneval.__doc__
    for field in ("passed", "reason", "seconds"):
        assert f"``{field}``" in scoring.ScoreResult.__doc__
    result = humaneval.score(LEAKY_PROBLEM, LEAKY_PROBLEM["canonical_solution"])
    assert isinstance(result, humaneval.ScoreResult) and result.passed and bool(result)


# -- item 6 through the wire itself: a malformed frame must not carry a number out --------------------------

NUMERIC_PROBLEM = {
    "task_id": "Leak/1",
    "prompt": 'def add(x: int, y: int) -> int:\n    """x + y."""\n',
    "entry_point": "add",
    "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(48151, 623) == 48774\n",
}
FRAME_PRELUDE = leaky("""
    if (x, y) == (1, 2):
        return 3
    import gc, os, struct
    channel = next(o for o in gc.get_objects() if type(o).__name__ == "Channel")   # the worker's own wire
""")
# Both shape a frame the judge cannot read so that its error text would hold the hidden x (48151).
FRAME_LEAKS = {
    "as_the_column_of_a_json_error": FRAME_PRELUDE + leaky("""
        body = b"{" + b" " * (x - 2) + b"!"         # 'Expecting property name ... (char 48150)'
        os.write(channel.write_fd, struct.pack(">I", len(body)) + body)
        return 0"""),
    "as_the_size_of_an_oversized_frame": FRAME_PRELUDE + leaky("""
        os.write(channel.write_fd, struct.pack(">I", (32 << 20) + x))   # 'a message of 33602583 bytes'
        return 0"""),
}


@pytest.mark.parametrize("name", sorted(FRAME_LEAKS))
def test_a_malformed_frame_carries_no_number_into_the_reason(name):
    result = score(NUMERIC_PROBLEM, FRAME_LEAKS[name], timeout=10)
    assert not result.passed
    assert result.reason == "the program's process sent a malformed answer (line 3 of the tests)", result.reason
