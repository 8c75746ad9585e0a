"""Data files under attack (issue 16 items 14 and 15): a binary file is named by file and line, and a
run of 5 questions from a very large file reads (parses) only those 5 rows."""
from __future__ import annotations

import json

import pytest

from agents.tasks.hotpotqa import data


def _row(k: int) -> str:
    return json.dumps({"id": f"id{k}", "question": f"Question {k}?", "answer": f"a{k}", "type": "bridge",
                       "level": "hard", "supporting_facts": {"title": ["T"], "sent_id": [0]},
                       "context": {"title": ["T"], "sentences": [[f"Fact {k}."]]}})


def test_a_binary_data_file_is_named_by_file_and_line(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_bytes(_row(0).encode() + b"\n" + bytes(range(128, 256)) * 4 + b"\n")
    with pytest.raises(ValueError, match=rf"{path} line 2: not UTF-8 text"):
        data.load_hotpotqa(path)


def test_the_cli_names_a_binary_data_file(tmp_path, capsys):
    from agents.cli import main

    path = tmp_path / "data.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert main(["run", "--data", str(path), "--questions", "1", "--out", str(tmp_path)]) == 1
    assert f"error: {path} line 1: not UTF-8 text" in capsys.readouterr().err


def test_five_questions_of_a_large_file_parse_five_rows_the_same_ones_as_before(tmp_path, monkeypatch):
    path = tmp_path / "large.jsonl"
    path.write_text("".join(_row(k) + "\n" + ("\n" if k % 97 == 0 else "") for k in range(20_000)))
    parsed = []
    original = json.loads
    monkeypatch.setattr(data.json, "loads", lambda text, *a, **k: parsed.append(1) or original(text, *a, **k))
    picked = data.load_hotpotqa(path, n=5, seed=3)
    monkeypatch.undo()
    assert len(parsed) == 5
    every = data.load_hotpotqa(path)                     # what a frame.sample() of the whole file picks
    expected = every.sample(n=5, random_state=3).sort_index().reset_index(drop=True)
    assert picked.id.tolist() == expected.id.tolist()
    assert picked.to_dict("records") == expected.to_dict("records")


def test_a_bad_row_among_the_chosen_is_named_by_its_line(tmp_path):
    path = tmp_path / "small.jsonl"
    path.write_text(_row(0) + "\n\n" + '{"id": "x"}\n')
    with pytest.raises(ValueError, match=rf"{path} line 3: missing field 'question'"):
        data.load_hotpotqa(path, n=2)
