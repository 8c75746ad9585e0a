"""Issue 18 item 12, "done when", on the embedded model (Gemma 3 270M via llama.cpp), through the CLI:

    python -m agents run --task hotpotqa --agent cot_no_context --strategy none --temperature 0.8 --trials 3

At temperature > 0 every call is its own draw (sample, trial, call index; the embedded model seeded
by it), so the ``none`` arm's retries re-sample: answers differ across trials for some question.
The same command again makes 0 calls: it finds its run folder complete; and the same run filed under
another name is served wholly by the response cache (its manifest: 0 model calls, every call a hit).

Kept small (2 questions, ~25 s on 2 cores); skipped without llama-cpp-python, like
tests/test_end_to_end_local.py.
"""
import json

import pytest

pytest.importorskip("llama_cpp", reason="the embedded model needs llama-cpp-python (requirements.txt)")


def _run(main, out, data, *extra):
    argv = ["run", "--task", "hotpotqa", "--agent", "cot_no_context", "--strategy", "none", "--temperature", "0.8",
            "--trials", "3", "--questions", "2", "--llm", "local", "--data", str(data), "--out", str(out), *extra]
    assert main(argv) == 0
    folders = sorted((out / "cot_no_context" / "base").iterdir())
    return folders


def _read(run_dir):
    records = [json.loads(line) for line in (run_dir / "attempts.jsonl").read_text().splitlines()]
    return records, json.loads((run_dir / "manifest.json").read_text())


def test_none_re_samples_each_trial_and_the_same_command_again_makes_no_call(sample_path, tmp_path):
    from agents.cli import main

    (run_dir,) = _run(main, tmp_path, sample_path)
    records, manifest = _read(run_dir)
    assert run_dir.name.endswith("-temp0.8") and manifest["decoding"]["temperature"] == 0.8
    assert manifest["counters"]["llm_calls"] == len(records) and manifest["counters"]["cache_hits"] == 0
    answers = {}
    for record in records:
        answers.setdefault(record["sample_id"], []).append(record["answer"])
    retried = {qid: got for qid, got in answers.items() if len(got) > 1}
    assert retried, f"no question was retried: {answers}"
    assert any(len(set(got)) > 1 for got in retried.values()), f"every retry replayed trial 1: {answers}"

    # the same command again: the run folder is complete, nothing is called or appended
    before = (run_dir / "attempts.jsonl").read_text()
    assert _run(main, tmp_path, sample_path) == [run_dir]
    again_records, again = _read(run_dir)
    assert (run_dir / "attempts.jsonl").read_text() == before and again["sessions"] == 2
    assert again["counters"]["llm_calls"] == manifest["counters"]["llm_calls"]

    # the same run under another name: every draw is served by the cache, so 0 calls
    folders = _run(main, tmp_path, sample_path, "--run-name", "replayed")
    replayed_records, replayed = _read(next(f for f in folders if f.name == "replayed"))
    assert replayed["counters"]["llm_calls"] == 0 and replayed["counters"]["cache_hits"] == len(records)
    key = lambda r: (r["sample_id"], r["trial"], r["answer"])  # noqa: E731
    assert sorted(map(key, replayed_records)) == sorted(map(key, records))
