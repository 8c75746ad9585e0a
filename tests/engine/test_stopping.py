"""Stopping a run (issue 16 items 1, 11, 12, 13): real ``python -m agents run`` processes against the
kit's fake server on loopback, interrupted by real signals and kills. Each is bounded in time; the
records of an interrupted-then-resumed run must equal an uninterrupted run's."""
from __future__ import annotations

import json
import re
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agents.cli import main
from agents.engine.records import RunFolder
from agents.testing.compare import comparable
from agents.testing.fake_server import FakeOpenAIServer, scripted_brain

pytest.importorskip("openai")
REPO = Path(__file__).resolve().parents[2]
N_QUESTIONS = 24


@pytest.fixture
def server(sample):
    with FakeOpenAIServer(scripted_brain(sample), latency_s=0.1) as running:
        yield running


def _argv(server, out, name, *extra):
    return ["run", "--agent", "react", "--llm", "openai-compatible:scripted", "--base-url", server.base_url,
            "--questions", str(N_QUESTIONS), "--trials", "3", "--concurrency", "4", "--out", str(out),
            "--run-name", name, "--no-cache", *extra]


def _start(server, out, name, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "agents", *_argv(server, out, name, *extra)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _folder(out, name) -> RunFolder:
    return RunFolder(Path(out) / "react" / "reinagent" / name)


def _wait_for_rows(folder: RunFolder, rows: int, process: subprocess.Popen, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if folder.attempts_path.exists() and folder.attempts_path.read_bytes().count(b"\n") >= rows:
            return
        if process.poll() is not None:
            raise AssertionError(f"the run ended early: {process.communicate()}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"no {rows} rows within {limit_s} s")


def _rows(folder: RunFolder) -> list[dict]:
    return [json.loads(line) for line in folder.attempts_path.read_text().splitlines()]


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_within_seconds_writes_everything_and_the_resume_gives_the_same_records(
        server, tmp_path, signum, code):
    victim = _start(server, tmp_path, "cut")
    folder = _folder(tmp_path, "cut")
    _wait_for_rows(folder, 6, victim)
    sent = time.monotonic()
    victim.send_signal(signum)
    out, err = victim.communicate(timeout=30)
    took = time.monotonic() - sent
    assert victim.returncode == code, err
    assert took < 8, f"{took:.1f} s to stop"
    assert "Traceback" not in err and "resume with: python -m agents run" in err
    manifest = json.loads(folder.manifest_path.read_text())
    assert manifest["stopped"] == manifest["counters"]["stopped"] == "interrupted"
    rows = _rows(folder)
    assert len(rows) < N_QUESTIONS * 2, "it kept running queued attempts"
    # item 13: the counters are the records' own (plus calls of attempts cut short), exactly
    assert manifest["counters"]["llm_calls"] == sum(r["paid"]["llm_calls"] for r in rows) + \
        manifest["counters"]["unrecorded"]["llm_calls"]
    assert folder.summary_path.exists() and "attempted" in folder.summary_path.read_text()
    server.latency_s = 0.0                             # the rest needs no time to interrupt
    assert main(_argv(server, tmp_path, "cut")) == 0                                 # resume
    assert main(_argv(server, tmp_path, "whole")) == 0
    assert comparable(_folder(tmp_path, "cut").load()) == comparable(_folder(tmp_path, "whole").load())


def test_ctrl_c_three_times_cancels_at_once_and_prints_no_traceback(server, tmp_path):
    victim = _start(server, tmp_path, "impatient")
    folder = _folder(tmp_path, "impatient")
    _wait_for_rows(folder, 4, victim)
    sent = time.monotonic()
    for _ in range(3):
        victim.send_signal(signal.SIGINT)
        time.sleep(0.1)
    out, err = victim.communicate(timeout=30)
    assert victim.returncode == 130 and time.monotonic() - sent < 6
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert all(line.endswith("}") for line in folder.attempts_path.read_text().splitlines())


def test_sigkills_then_resume_give_the_same_records_and_exact_counters(server, tmp_path):
    for cut in (3, 9, 15):
        victim = _start(server, tmp_path, "killed")
        _wait_for_rows(_folder(tmp_path, "killed"), cut, victim)
        victim.kill()
        victim.communicate(timeout=30)
    server.latency_s = 0.0
    assert main(_argv(server, tmp_path, "killed")) == 0
    assert main(_argv(server, tmp_path, "clean")) == 0
    killed, clean = _folder(tmp_path, "killed"), _folder(tmp_path, "clean")
    assert comparable(killed.load()) == comparable(clean.load())
    manifest = json.loads(killed.manifest_path.read_text())
    rows = _rows(killed)
    assert manifest["counters"]["llm_calls"] == sum(r["paid"]["llm_calls"] for r in rows)
    assert manifest["counters"]["input_tokens"] == sum(r["paid"]["input_tokens"] for r in rows)
    assert manifest["sessions"] == 4


def test_a_second_process_on_the_same_run_is_refused(sample, tmp_path):
    # a slow server, so the first run is surely still going when the second has imported the kit
    server = FakeOpenAIServer(scripted_brain(sample), latency_s=0.5).start()
    first = _start(server, tmp_path, "shared")
    _wait_for_rows(_folder(tmp_path, "shared"), 2, first)
    second = subprocess.run([sys.executable, "-m", "agents", *_argv(server, tmp_path, "shared")], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=30)
    assert second.returncode == 1 and f"is in use by pid {first.pid}" in second.stderr
    server.stop()
    rows = _rows(_folder(tmp_path, "shared"))
    assert len({(r["sample_id"], r["trial"]) for r in rows}) == len(rows)   # no attempt twice


def test_a_dead_server_stops_the_run_with_the_summary_and_the_resume_command(sample, tmp_path):
    from agents.engine.runner import run_trials
    from agents.llm import make_llm

    questions = sample.head(40)
    server = FakeOpenAIServer(scripted_brain(questions), latency_s=0.05).start()
    model = make_llm("openai-compatible:scripted", base_url=server.base_url, max_refusals=4,
                     refused_for_s=0.2, backoff_base=0.05, backoff_cap=0.1)
    threading.Timer(1.0, server.stop).start()
    started = time.monotonic()
    frame = run_trials("react", questions, n_trials=3, llm=model, concurrency=4, root=tmp_path,
                       run_name="dead", cache=False, progress=False)
    assert time.monotonic() - started < 15
    assert frame.attrs["stopped"] == "server unreachable"
    assert re.search(r"refused \d+ connections in a row", frame.attrs["stop_message"])
    folder = RunFolder(frame.attrs["run_dir"])
    assert json.loads(folder.manifest_path.read_text())["stopped"] == "server unreachable"
    assert folder.summary_path.exists()
    rows = _rows(folder)
    assert rows and not any(r["error"] for r in rows)     # no sample burned its trial on a dead server


def test_a_fatal_error_starts_nothing_new(sample, tmp_path):
    from agents.engine.runner import run_trials
    from agents.llm.base import ServerUnreachable
    from agents.testing.scripted import ScriptedHotpotModel

    calls = []

    class Dying(ScriptedHotpotModel):
        def _generate(self, prompt, stop, max_tokens):
            calls.append(prompt)
            if len(calls) == 10:
                raise ServerUnreachable("gone")
            if len(calls) > 10:
                time.sleep(0.05)
            return super()._generate(prompt, stop, max_tokens)

    questions = sample.head(30)
    frame = run_trials("react", questions, n_trials=3, llm=Dying.from_records(questions), concurrency=4,
                       root=tmp_path, run_name="fatal", cache=False, progress=False)
    assert frame.attrs["stopped"] == "server unreachable"
    assert len(calls) < 10 + 4 * 8, f"{len(calls)} calls: the queue drained after the failure"
