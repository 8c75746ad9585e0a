"""Checks on the few-shot examples in agents/fewshots.py: format, and no overlap with the eval sample."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agents import fewshots

REPO_ROOT = Path(__file__).resolve().parents[1]

# constant name -> the line each of its examples starts with
STARTS = {
    "REACT_EXAMPLES": "Question:",
    "COT_CONTEXT_EXAMPLES": "Context:",
    "COT_EXAMPLES": "Question:",
    "REACT_REFLECT_EXAMPLES": "Previous trial:",
    "COT_CONTEXT_REFLECT_EXAMPLES": "Previous trial:",
    "COT_REFLECT_EXAMPLES": "Previous trial:",
}
REFLECT = [name for name in STARTS if "REFLECT" in name]
SOLVED = [name for name in STARTS if "REFLECT" not in name]
REACT_STYLE = ["REACT_EXAMPLES", "REACT_REFLECT_EXAMPLES"]
MAX_CHARS = {"REACT_EXAMPLES": 4800}  # others: 2500

STEP_LINE = re.compile(r"^(Thought|Action|Observation) (\d+): (.*)$")
ACTION = re.compile(r"^(Search|Lookup|Finish)\[([^\[\]]+)\]$")
SEARCH = re.compile(r"Search\[([^\[\]]+)\]")


def examples(name: str) -> list[str]:
    text = getattr(fewshots, name)
    start = STARTS[name]
    parts = re.split(r"\n\n(?=" + re.escape(start) + ")", text)
    assert all(p.startswith(start) for p in parts), name
    return parts


def questions(name: str) -> list[str]:
    return [m.group(1).strip() for ex in examples(name)
            for m in re.finditer(r"^Question: (.*)$", ex, re.MULTILINE)]


def search_entities() -> list[str]:
    return [m.group(1).strip() for name in REACT_STYLE for m in SEARCH.finditer(getattr(fewshots, name))]


@pytest.mark.parametrize("name", list(STARTS))
def test_constant_is_plain_string_with_three_examples(name):
    text = getattr(fewshots, name)
    assert isinstance(text, str) and text == text.strip()
    exs = examples(name)
    assert len(exs) >= 3
    assert all(ex.count("Question:") == 1 for ex in exs)
    assert len(text) <= MAX_CHARS.get(name, 2500)


@pytest.mark.parametrize("name", SOLVED)
def test_solved_examples_end_in_finish(name):
    for ex in examples(name):
        last = ex.splitlines()[-1]
        assert re.fullmatch(r"Action( \d+)?: Finish\[[^\[\]]+\]", last), last
        if name.startswith("COT"):
            assert re.search(r"^Thought: Let's think step by step\. \S", ex, re.MULTILINE), ex


@pytest.mark.parametrize("name", REFLECT)
def test_reflect_examples_end_in_reflection(name):
    for ex in examples(name):
        lines = ex.splitlines()
        assert lines[0] == "Previous trial:"
        assert lines[-1].startswith("Reflection: ") and len(lines[-1]) > len("Reflection: ") + 10
        assert sum(line.startswith("Reflection:") for line in lines) == 1
        if "CONTEXT" in name:
            assert lines[1].startswith("Context: ") and lines[2] == "" and lines[3].startswith("Question: ")
        else:
            assert lines[1].startswith("Question: ")
        if name.startswith("COT"):
            assert lines[-2] == "Observation: Answer is INCORRECT"
            assert re.fullmatch(r"Action: Finish\[[^\[\]]+\]", lines[-3])


def react_steps(ex: str) -> list[tuple[str, int, str]]:
    body = ex.splitlines()
    body = body[body.index(next(l for l in body if l.startswith("Question: "))) + 1:]
    body = [line for line in body if not line.startswith("Reflection: ")]
    steps = []
    for line in body:
        m = STEP_LINE.match(line)
        assert m, f"not a step line: {line!r}"
        steps.append((m.group(1), int(m.group(2)), m.group(3)))
    return steps


@pytest.mark.parametrize("name", REACT_STYLE)
def test_react_steps_are_consecutive_and_actions_valid(name):
    for ex in examples(name):
        steps = react_steps(ex)
        kinds = [k for k, _, _ in steps]
        n = len(steps) // 3 + (1 if len(steps) % 3 else 0)
        expected = [(kind, k) for k in range(1, n + 1) for kind in ("Thought", "Action", "Observation")]
        assert [(k, i) for k, i, _ in steps] == expected[:len(steps)], ex
        for kind, _, text in steps:
            if kind == "Action":
                assert ACTION.fullmatch(text), text
            if kind == "Observation" and text.startswith("Could not find"):
                assert re.fullmatch(r"Could not find \[[^\[\]]+\]\. Similar: \[.+\]", text), text
        finishes = [t for k, _, t in steps if k == "Action" and t.startswith("Finish[")]
        assert len(finishes) <= 1
        if name == "REACT_EXAMPLES":
            assert kinds[-1] == "Action" and finishes and steps[-1][2] == finishes[0]
            assert 3 <= n <= 4
        elif finishes:  # a wrong Finish must be answered INCORRECT
            assert steps[-1][0] == "Observation" and steps[-1][2] == "Answer is INCORRECT"


def test_react_examples_cover_lookup_failed_search_and_question_types():
    text = fewshots.REACT_EXAMPLES
    assert "Lookup[" in text and "(Result 1 / " in text
    assert "Could not find [" in text and "Similar: [" in text
    answers = re.findall(r"Finish\[([^\[\]]+)\]", text)
    assert "yes" in answers or "no" in answers
    assert any(q.startswith("Who was born first") or " or " in q for q in questions("REACT_EXAMPLES"))


# ---- no overlap with the evaluation sample ----------------------------------------------------

@pytest.fixture(scope="module")
def sample(sample_path):
    """The evaluation sample as plain dicts (conftest's ``sample`` is a DataFrame)."""
    with sample_path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def test_questions_do_not_overlap_sample(sample):
    theirs = [norm(row["question"]) for row in sample]
    for name in STARTS:
        for q in questions(name):
            mine = norm(q)
            assert mine not in theirs, q
            assert not any(mine in t or t in mine for t in theirs), q


def test_search_entities_not_sample_titles_or_answers(sample):
    titles = {norm(t) for row in sample for t in row["context"]["title"]}
    answers = {norm(row["answer"]) for row in sample}
    for entity in search_entities():
        e = norm(entity)
        assert e not in titles, entity
        assert e not in answers, entity
        base = norm(re.sub(r"\s*\(.*\)\s*$", "", entity))  # "Jaws (film)" -> "jaws"
        assert base not in titles and base not in answers, entity


def test_sample_titles_not_named_in_questions(sample):
    """No context title (of some length) is named in our questions, and our search entities are not
    named in their questions."""
    titles = {norm(t) for row in sample for t in row["context"]["title"]}
    titles = {t for t in titles if len(t) >= 5}
    mine = [" " + norm(q) + " " for name in STARTS for q in questions(name)]
    for t in titles:
        assert not any(f" {t} " in q for q in mine), t
    theirs = [" " + norm(row["question"]) + " " for row in sample]
    for entity in search_entities():
        e = norm(re.sub(r"\s*\(.*\)\s*$", "", entity))
        assert not any(f" {e} " in q for q in theirs), entity
