"""The memory file and the method registry (issue 20 item 1): a round trip, errors that name the
file, the digest that changes with the content, the notes baseline."""
import json

import pytest

from agents.memory.transfer import LearntMemory, MemoryFileError, get_method, method_names
from agents.types import Sample


def _memory(**changes):
    fields = dict(method="notes", content={"notes": ["Check the year."]}, train_ids=["a", "b"],
                  task="hotpotqa", agent="cot_no_context", model={"backend": "scripted"},
                  feedback="oracle", prompt_hashes={"reflect": "ab"}, learn_usage={"llm_calls": 3},
                  split={"seed": 0, "fold": None, "folds": None, "name": "train"})
    fields.update(changes)
    return LearntMemory(**fields)


def test_round_trip_and_digest(tmp_path):
    memory = _memory()
    path = memory.save(tmp_path / "m" / "memory.json")
    again = LearntMemory.load(path)
    assert again == memory and again.digest() == memory.digest()
    assert _memory(content={"notes": ["Other."]}).digest() != memory.digest()
    assert "Check the year." in again.render(Sample("c", "Q?"))
    assert json.loads(path.read_text())["schema_version"] == 1


@pytest.mark.parametrize("text, words", [
    ("{not json", "not a JSON memory file"),
    ("[1, 2]", "a learnt memory is a JSON object"),
    ('{"method": "notes"}', "missing content"),
])
def test_bad_file_named(tmp_path, text, words):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(MemoryFileError) as info:
        LearntMemory.load(path)
    assert str(path) in str(info.value) and words in str(info.value)


def test_unknown_method_and_wrong_type_named(tmp_path):
    path = _memory(method="nope").save(tmp_path / "m.json")
    with pytest.raises(MemoryFileError, match="m.json: unknown method 'nope'"):
        LearntMemory.load(path)
    data = _memory().to_json() | {"train_ids": "a,b"}
    with pytest.raises(MemoryFileError, match="'train_ids' must be a list"):
        LearntMemory.from_json(data, source="x.json")


def test_notes_keeps_helpful_reflections_newest_first_capped():
    notes = get_method("notes")
    records = [{"sample_id": s, "trial": t, "success": ok, "reflection": r}
               for s, t, ok, r in [("a", 1, False, ""), ("a", 2, False, "old"), ("a", 3, True, "new"),
                                   ("b", 2, True, "old"), ("c", 2, False, "useless")]]
    assert notes.learn(task=None, agent="x", records=records, samples={}, llm=None) == {"notes": ["new", "old"]}
    assert notes.render({"notes": []}, Sample("z", "")) == ""
    updated = notes.update({"notes": ["old"]}, task=None, agent="x", sample=Sample("d", ""),
                           records=[{"sample_id": "d", "trial": 2, "success": True, "reflection": "fresh"}],
                           llm=None)
    assert updated == {"notes": ["fresh", "old"]}
    assert "notes" in method_names()


def test_notes_learn_from_what_the_feedback_said_not_from_the_ground_truth():
    """Online under none/self feedback, a record can be correct although the agent was told
    nothing of it: the notes must not learn from that."""
    from agents.memory.transfer import get_method

    told_nothing = [{"sample_id": "a", "trial": 1, "correct": True, "success": False, "reflection": "secret"}]
    assert get_method("notes").learn(task=None, agent="cot", records=told_nothing, samples={}, llm=None) == {"notes": []}
