"""agents/hotpotqa.py: loading the shared sample, reproducible subsets, clear errors, fast offline failure."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from agents.tasks.hotpotqa import data as hotpotqa
from agents.tasks.hotpotqa.data import COLUMNS, DatasetUnavailable, load_hotpotqa, supporting_context

REPO_ROOT = Path(__file__).resolve().parents[1]

ROW = {"id": "q1", "question": "Where was the author of Dune born?", "answer": "Tacoma", "type": "bridge",
       "level": "hard", "supporting_facts": {"title": ["Dune", "Frank Herbert"], "sent_id": [0, 0]},
       "context": {"title": ["Frank Herbert", "Dune"],
                   "sentences": [["Frank Herbert was born in Tacoma."], ["Dune is a novel", " by Frank Herbert."]]}}


@pytest.fixture
def sample_env(monkeypatch, sample_path):
    """HOTPOTQA_PATH pointed at the shared sample (an existing setting is kept)."""
    monkeypatch.setenv("HOTPOTQA_PATH", str(sample_path))
    return sample_path


@pytest.fixture
def no_local_file(monkeypatch, tmp_path):
    """No path argument, no HOTPOTQA_PATH and no cache file: only the download is left."""
    monkeypatch.delenv("HOTPOTQA_PATH", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hotpotqa, "CACHE_PATH", tmp_path / "cache.jsonl")
    monkeypatch.setattr(hotpotqa, "SHARED_COPY", tmp_path / "no-shared-copy.jsonl")


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_loads_shared_sample_via_env(sample_env):
    df = load_hotpotqa()
    assert len(df) == 100 and list(df.columns) == COLUMNS
    assert set(df["level"]) == {"hard"}
    ids = (REPO_ROOT / "hotpot_runs" / "data" / "hotpotqa_sample100_ids.txt").read_text().split()
    assert list(df["id"]) == ids  # the committed id list matches the sample, in order


def test_sample_is_reproducible_and_in_file_order(sample_env):
    full = load_hotpotqa()
    first, again, other = load_hotpotqa(n=10, seed=1), load_hotpotqa(n=10, seed=1), load_hotpotqa(n=10, seed=2)
    assert list(first["id"]) == list(again["id"]) != list(other["id"])
    positions = [list(full["id"]).index(qid) for qid in first["id"]]
    assert positions == sorted(positions) and len(first) == 10


def test_bad_n(sample_env):
    with pytest.raises(ValueError, match="positive"):
        load_hotpotqa(n=0)
    with pytest.raises(ValueError, match="only 100 are available"):
        load_hotpotqa(n=101)


def test_explicit_path_wins_and_blank_lines_are_skipped(sample_env, tmp_path):
    path = write_lines(tmp_path / "mini.jsonl", ["", json.dumps(ROW), "   "])
    df = load_hotpotqa(path)
    assert list(df["id"]) == ["q1"]


def test_missing_path_is_named(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="nowhere.jsonl"):
        load_hotpotqa(tmp_path / "nowhere.jsonl")
    monkeypatch.setenv("HOTPOTQA_PATH", str(tmp_path / "gone.jsonl"))
    with pytest.raises(FileNotFoundError, match=r"gone\.jsonl \(from \$HOTPOTQA_PATH\)"):
        load_hotpotqa()


def test_invalid_json_names_file_and_line(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", [json.dumps(ROW), "", "{not json"])
    with pytest.raises(ValueError, match=r"bad\.jsonl line 3: invalid JSON"):
        load_hotpotqa(path)


def test_missing_field_names_file_line_and_field(tmp_path):
    broken = {k: v for k, v in ROW.items() if k != "answer"}
    path = write_lines(tmp_path / "bad.jsonl", [json.dumps(ROW), json.dumps(ROW), json.dumps(broken)])
    with pytest.raises(ValueError, match=r"bad\.jsonl line 3: missing field 'answer'"):
        load_hotpotqa(path)


def test_offline_without_file_fails_fast(no_local_file, monkeypatch):
    # A closed loopback port stands for "no network", wherever the test runs.
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    started = time.monotonic()
    with pytest.raises(DatasetUnavailable, match="HOTPOTQA_PATH"):
        load_hotpotqa()
    assert time.monotonic() - started < 2


def test_hf_hub_offline_fails_fast(no_local_file, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    with pytest.raises(DatasetUnavailable, match="HOTPOTQA_PATH"):
        load_hotpotqa()
    assert time.monotonic() - started < 2


def test_supporting_context_on_sample(sample_env):
    record = load_hotpotqa().iloc[0]
    context = supporting_context(record)
    assert context.startswith("VIVA Media GmbH (until 2004")
    assert "Gesellschaft mit beschränkter Haftung" in context
    assert "Constantin Medien" not in context  # a distractor paragraph


def test_supporting_context_order_and_dedup():
    assert supporting_context(ROW) == "Dune is a novel by Frank Herbert. Frank Herbert was born in Tacoma."


def test_download_keeps_listed_ids_in_order_and_fills_cache(no_local_file, monkeypatch, tmp_path):
    """The download path, with a fake ``datasets`` standing in for the hub."""
    import sys
    import types

    class FakeSplit(list):
        def __getitem__(self, key):
            return [row[key] for row in self] if isinstance(key, str) else list.__getitem__(self, key)

        def select(self, indices):
            return [self[i] for i in indices]

    rows = FakeSplit(dict(ROW, id=qid, answer=qid.upper()) for qid in ["a", "b", "c"])
    fake = types.SimpleNamespace(load_dataset=lambda *args, **kwargs: rows)
    monkeypatch.setitem(sys.modules, "datasets", fake)
    monkeypatch.setattr(hotpotqa, "_hub_reachable", lambda timeout=1.0: True)
    ids_path = write_lines(tmp_path / "ids.txt", ["c", "a"])
    monkeypatch.setattr(hotpotqa, "IDS_PATH", ids_path)

    df = load_hotpotqa()
    assert list(df["id"]) == ["c", "a"] and list(df["answer"]) == ["C", "A"]
    assert hotpotqa.CACHE_PATH.is_file()
    assert list(load_hotpotqa()["id"]) == ["c", "a"]  # second call reads the cache
