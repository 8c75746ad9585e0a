"""Scale: the command line's --rpm / --tpm / several --base-url, the manifest's limits and traffic, a
50,000-record resume (read once, agents built only for samples with trials left, no quadratic
step), both HTTP paths failing alike, concurrent appends, and the log written a trial at a time.
Offline (loopback fake servers); the only timing check compares two sizes with a wide margin."""
from __future__ import annotations

import json
import threading
import time

import pytest

from agents.cli import build_parser, main
from agents.testing.fake_server import FakeOpenAIServer, FaultPlan, scripted_brain


# -- the command line -------------------------------------------------------------------------------
def test_rpm_tpm_and_several_base_urls_parse():
    args = build_parser().parse_args(["run", "--rpm", "3000", "--tpm", "90000", "--base-url", "http://a:1/v1",
                                      "--base-url", "http://b:2/v1,http://c:3/v1"])
    assert (args.rpm, args.tpm) == (3000.0, 90000.0)
    assert args.base_url == ["http://a:1/v1", "http://b:2/v1,http://c:3/v1"]
    for bad in (["--rpm", "0"], ["--tpm", "-5"], ["--rpm", "many"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["run", *bad])


def test_a_cli_run_on_two_servers_under_a_rate_limit(sample, tmp_path, capsys):
    records = sample.head(3)
    with FakeOpenAIServer(scripted_brain(sample)) as a, FakeOpenAIServer(scripted_brain(sample)) as b:
        code = main(["run", "--agent", "react", "--questions", "3", "--trials", "2", "--llm",
                     "openai-compatible:scripted", "--base-url", a.base_url, "--base-url", b.base_url,
                     "--rpm", "60000", "--tpm", "100000000", "--concurrency", "3", "--no-cache",
                     "--out", str(tmp_path), "--run-name", "two"])
        served = (a.served, b.served)
    assert code == 0, capsys.readouterr().err
    manifest = json.loads((tmp_path / "react/reinagent/two/manifest.json").read_text())
    assert manifest["limits"] == {"rpm": 60000.0, "tpm": 100000000.0, "max_in_flight": 3, "burst_s": 0.1}
    traffic = manifest["traffic"]
    assert traffic["requests"] == traffic["ok"] == manifest["counters"]["llm_calls"] == sum(served)
    assert {"rate_limited", "timeouts", "waits", "waited_s", "pauses", "paused_s"} <= set(traffic)
    assert traffic["concurrency"]["max"] == 3 and traffic["concurrency"]["max_in_flight"] <= 3
    assert [row["ok"] for row in manifest["servers"]] == list(served) and all(served)
    assert len(records) == 3


def test_rates_given_twice_are_refused(sample, tmp_path):
    from agents.engine.runner import run_trials
    from agents.llm import make_llm

    model = make_llm("openai-compatible:scripted", base_url="http://127.0.0.1:9/v1", rpm=100)
    with pytest.raises(ValueError, match="already has a limiter"):
        run_trials("cot_no_context", sample.head(1), llm=model, rpm=50, root=tmp_path, progress=False)


# -- a 50,000-record resume -------------------------------------------------------------------------
def _folder_of(tmp_path, n_samples: int, unfinished: int) -> tuple[list[dict], int]:
    """A run folder of ``n_samples`` x 5 failed trials, the last ``unfinished`` with 4, and the
    manifest the kit itself writes for that configuration (a first session whose server died at
    its first call: a folder without a manifest is not resumed)."""
    from agents.engine.records import RunFolder
    from agents.engine.runner import run_trials
    from agents.llm import CallableLLM
    from agents.llm.base import ServerUnreachable

    questions = [{"id": f"q{k:05d}", "question": f"What is item {k}?", "answer": f"a{k}"} for k in range(n_samples)]

    def dead(prompt):
        raise ServerUnreachable("the server is gone")

    first = run_trials("cot_no_context", questions, n_trials=5, llm=CallableLLM(dead, name="m"),
                       root=tmp_path, run_name="big", cache=False, progress=False, concurrency=4)
    assert first.attrs["stopped"] == "server unreachable" and len(first) == 0
    folder = RunFolder(tmp_path / "cot_no_context" / "reinagent" / "big")
    assert folder.manifest_path.exists() and not folder.attempts_path.exists()
    lines = []
    for k, q in enumerate(questions):
        for trial in range(1, 5 if k >= n_samples - unfinished else 6):
            lines.append(json.dumps({
                "sample_id": q["id"], "trial": trial, "task": "hotpotqa", "agent": "cot_no_context",
                "strategy": "reinagent", "input": q["question"], "answer": "wrong",
                "trajectory": "Thought: I recall it.\nAction: Finish[wrong]\n" + "x" * 300,
                "feedback": {"success": False, "message": "", "source": "oracle"},
                "reflection": f"I was wrong (try {trial - 1})." if trial > 1 else "",
                "reflections": [f"I was wrong (try {t})." for t in range(1, trial)], "steps": 1,
                "error": None, "llm_calls": 1 + (trial > 1), "success": False, "correct": False,
                "feedback_source": "oracle", "attempt_no": 1, "target": q["answer"]}))
    folder.attempts_path.write_text("\n".join(lines) + "\n")
    return questions, len(lines)


def _resume(tmp_path, questions, monkeypatch) -> dict:
    from agents.engine.runner import run_trials
    from agents.llm import CallableLLM
    from agents.tasks import get_task

    task = get_task("hotpotqa")
    built, first_call, parsed = [], [], [0]
    original_build, original_loads = task.build_agent, json.loads

    def counting_build(*args, **kwargs):
        built.append(args[1].id)
        return original_build(*args, **kwargs)

    def counting_loads(*args, **kwargs):
        parsed[0] += 1
        return original_loads(*args, **kwargs)

    def model(prompt):
        if not first_call:
            first_call.append(time.perf_counter())
        return " I recall it.\nAction: Finish[wrong]"

    monkeypatch.setattr(task, "build_agent", counting_build)
    monkeypatch.setattr(json, "loads", counting_loads)
    started = time.perf_counter()
    frame = run_trials("cot_no_context", questions, n_trials=5, llm=CallableLLM(model, name="m"),
                       root=tmp_path, run_name="big", cache=False, progress=False, concurrency=4)
    monkeypatch.undo()
    return {"frame": frame, "built": built, "parsed": parsed[0], "first_call_s": first_call[0] - started}


def test_a_50k_record_resume_reads_once_builds_little_and_scales_linearly(tmp_path, monkeypatch):
    small_q, small_n = _folder_of(tmp_path / "small", 1_000, unfinished=10)
    small = _resume(tmp_path / "small", small_q, monkeypatch)
    big_q, big_n = _folder_of(tmp_path / "big", 10_000, unfinished=10)
    big = _resume(tmp_path / "big", big_q, monkeypatch)
    assert big_n > 49_000
    for run, n in ((small, small_n), (big, big_n)):
        assert len(run["frame"]) == n + 10 and run["frame"].error.isna().all()
        assert sorted(run["built"]) == sorted(q["id"] for q in (small_q if run is small else big_q)[-10:])
        assert run["parsed"] < n * 1.1                      # the file is parsed once, not twice
    # 10x the records: a linear start-up takes ~10x (plus fixed costs); a quadratic one ~100x.
    print(f"first new call after {small['first_call_s']:.2f} s ({small_n} records), "
          f"{big['first_call_s']:.2f} s ({big_n} records)")
    assert big["first_call_s"] < 25 * small["first_call_s"] + 5, (small["first_call_s"], big["first_call_s"])


# -- the two HTTP paths -----------------------------------------------------------------------------
@pytest.mark.parametrize("http_client", ["lean", "openai"])
@pytest.mark.parametrize("kind", ["429", "500", "timeout", "reset", "malformed"])
def test_both_http_paths_recover_from_each_fault(sample, http_client, kind):
    from agents.llm import make_llm

    plan = FaultPlan(rate=1.0, kinds=(kind,), max_faults_per_prompt=1, hold_s=1.0, retry_after_s=0.0)
    with FakeOpenAIServer(scripted_brain(sample.head(1)), faults=plan) as server:
        llm = make_llm("openai-compatible:scripted", base_url=server.base_url, timeout=0.5,
                       backoff_base=0.01, backoff_cap=0.02, http_client=http_client)
        assert llm.complete("Question: x\nThought 1:").text
        assert server.stats()["completions"] == 2 and server.stats()["faults"] == {kind: 1}


@pytest.mark.parametrize("http_client", ["lean", "openai"])
def test_both_http_paths_refuse_a_400_at_once(sample, http_client):
    from agents.llm import LLMCallError, make_llm

    plan = FaultPlan(reject=lambda prompt: True)
    with FakeOpenAIServer(scripted_brain(sample.head(1)), faults=plan, api_key="sk-k") as server:
        llm = make_llm("openai-compatible:scripted", base_url=server.base_url, api_key="sk-k",
                       http_client=http_client)
        with pytest.raises(LLMCallError, match=r"HTTP 400 \(This request was rejected") as caught:
            llm.complete("q")
    assert caught.value.status == 400 and server.completions == 1


def test_the_lean_path_is_for_plain_http_only():
    from agents.llm import make_llm

    llm = make_llm("openai:gpt-4o-mini", api_key="sk-x", http_client="lean")
    with pytest.raises(ValueError, match="needs a plain http:// URL"):
        llm._request("q", [], 8)


# -- the run folder at scale ------------------------------------------------------------------------
def test_concurrent_appends_are_whole_lines(tmp_path):
    from agents.engine.records import RunFolder

    folder = RunFolder(tmp_path)

    def writer(w):
        for k in range(150):
            folder.append({"sample_id": f"w{w}-{k}", "trial": 1, "text": "y" * (k * 7 % 900)})

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    folder.close()
    rows = [json.loads(line) for line in folder.attempts_path.read_text().splitlines()]
    assert len(rows) == 1200 and len({r["sample_id"] for r in rows}) == 1200


def test_the_log_written_a_trial_at_a_time_is_the_whole_log(sample, tmp_path):
    from agents.engine.records import RunFolder
    from agents.engine.report import format_log
    from agents.engine.runner import run_trials
    from agents.testing.scripted import ScriptedHotpotModel

    questions = sample.head(6)
    frame = run_trials("react", questions, n_trials=3, llm=ScriptedHotpotModel.from_records(questions),
                       root=tmp_path, run_name="log", cache=False, progress=False)
    folder = RunFolder(frame.attrs["run_dir"])
    records = sorted(folder.load(), key=lambda r: (r["trial"], r["sample_id"]))
    assert folder.log_path.read_text() == format_log(records) and frame.trial.max() > 1
