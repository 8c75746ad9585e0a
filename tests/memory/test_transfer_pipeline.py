"""The transfer pipeline's mechanics with a scripted model (issue 20 items 1-6): a learner that
solves a test sample only when the learnt memory holds the right insight; the leakage guard; a
resume with another memory refused; online records that do not depend on concurrency; the report's
four arms; the CLI's learn / run --memory / memory show / report."""
import json
import re

import pytest

from agents.cli import main
from agents.engine.learn import learn
from agents.engine.runner import ResumeRefused, run_trials
from agents.engine.runs import Run
from agents.engine.transfer_report import transfer_table
from agents.llm import CallableLLM
from agents.llm import registry
from agents.memory.transfer import LearntMemory
from agents.memory.transfer.use import LeakageError
from agents.testing.compare import comparable
from agents.types import Sample

INSIGHT = "Say the code of item N as code-N."


def _item(prompt: str) -> str:
    return re.findall(r"item (\d+)", prompt.rsplit("Question:", 1)[-1])[0]


def learner(prompt: str) -> str:
    """Knows nothing, but follows the one insight if its prompt shows it; reflects that insight."""
    if prompt.rstrip().endswith("Reflection:"):
        return f" {INSIGHT}"
    item = _item(prompt)
    answer = f"code-{item}" if INSIGHT in prompt else "no idea"
    return f" Let me think.\nAction: Finish[{answer}]"


SAMPLES = [Sample(f"s{i:02d}", f"What is the code of item {i}?", f"code-{i}") for i in range(12)]
TRAIN, TEST = SAMPLES[:6], SAMPLES[6:]


@pytest.fixture
def model():
    return CallableLLM(learner, name="learner")


@pytest.fixture
def memory_file(tmp_path, model):
    path = tmp_path / "memory.json"
    learn("hotpotqa", "cot_no_context", "notes", samples=TRAIN, n_trials=2, llm=model, out=path, cache=False)
    return path


def _run(samples, model, root, **options):
    options.setdefault("strategy", "none")
    options.setdefault("n_trials", 1)
    return run_trials("cot_no_context", samples, llm=model, root=root, progress=False, cache=False, **options)


def test_the_memory_holds_the_insight_and_a_test_sample_is_solved_only_with_it(memory_file, model, tmp_path):
    memory = LearntMemory.load(memory_file)
    assert memory.content == {"notes": [INSIGHT]} and memory.train_ids == [s.id for s in TRAIN]
    assert memory.learn_usage["llm_calls"] == 6 * 3          # trial 1, a reflection, trial 2 per sample
    without = _run(TEST, model, tmp_path / "root")
    with_memory = _run(TEST, model, tmp_path / "root", memory_file=memory_file)
    assert not without.correct.any() and with_memory.correct.all()
    manifest = json.loads((tmp_path / "root").joinpath(
        *with_memory.attrs["run_dir"].split("/root/")[1].split("/"), "manifest.json").read_text())
    assert manifest["memory"]["digest"] == memory.digest() and manifest["memory"]["method"] == "notes"
    assert manifest["memory"]["train_ids"] == memory.train_ids
    assert set(with_memory.memory_digest) == {memory.digest()}
    assert "+reflection notes memory" in Run.read(with_memory.attrs["run_dir"]).label
    assert with_memory.attrs["run_dir"] != without.attrs["run_dir"]   # its own folder by default


def test_an_overlapping_run_is_refused_naming_the_overlap_unless_asked(memory_file, model, tmp_path):
    with pytest.raises(LeakageError) as refused:
        _run(SAMPLES[4:8], model, tmp_path / "root", memory_file=memory_file)
    message = str(refused.value)
    assert "2 of the 4 test samples" in message and "s04, s05" in message and "--allow-overlap" in message
    frame = _run(SAMPLES[4:8], model, tmp_path / "root", memory_file=memory_file, allow_overlap=True)
    manifest = Run.read(frame.attrs["run_dir"]).manifest
    assert manifest.other["memory"]["overlap"] == ["s04", "s05"]


def test_a_resume_with_another_memory_or_none_is_refused(memory_file, model, tmp_path):
    _run(TEST[:2], model, tmp_path / "root", memory_file=memory_file, run_name="fixed")
    other = LearntMemory.load(memory_file)
    other.content = {"notes": ["Something else."]}
    other_file = other.save(tmp_path / "other.json")
    with pytest.raises(ResumeRefused, match="memory"):
        _run(TEST[:2], model, tmp_path / "root", memory_file=other_file, run_name="fixed")
    with pytest.raises(ResumeRefused, match="memory"):
        _run(TEST[:2], model, tmp_path / "root", run_name="fixed")
    _run(TEST[:2], model, tmp_path / "root", run_name="plain")
    with pytest.raises(ResumeRefused, match="memory"):
        _run(TEST[:2], model, tmp_path / "root", memory_file=memory_file, run_name="plain")


@pytest.mark.parametrize("concurrency", [1, 4])
def test_online_scores_each_sample_before_learning_from_it(model, tmp_path, concurrency):
    frame = _run(TEST, model, tmp_path / "root", strategy="reinagent", n_trials=2, online="notes",
                 concurrency=concurrency, run_name="online")
    first = frame[frame.sample_id == TEST[0].id]
    assert list(first.correct) == [False, True]        # nothing learnt yet: solved by its own reflection
    later = frame[(frame.sample_id != TEST[0].id)]
    assert later.trial.max() == 1 and later.correct.all()   # each later one shown what the first taught
    log = (tmp_path / "root" / "cot_no_context" / "reinagent" / "online" / "online_memory.jsonl").read_text()
    assert [json.loads(line)["sample_id"] for line in log.splitlines()] == [s.id for s in TEST]


def test_online_records_do_not_depend_on_concurrency(model, tmp_path):
    one = _run(TEST, model, tmp_path / "a", strategy="reinagent", n_trials=2, online="notes", concurrency=1)
    four = _run(TEST, model, tmp_path / "b", strategy="reinagent", n_trials=2, online="notes", concurrency=4)
    assert comparable(one) == comparable(four)


def test_the_report_shows_four_arms_on_the_same_test_samples(memory_file, model, tmp_path):
    root = tmp_path / "root"
    runs = [_run(TEST, model, root), _run(TEST, model, root, strategy="reinagent", n_trials=2),
            _run(TEST, model, root, memory_file=memory_file),
            _run(TEST, model, root, strategy="reinagent", n_trials=2, memory_file=memory_file)]
    table = transfer_table(runs)
    assert table.arm.tolist() == ["no memory", "Reflexion retries", "+reflection notes memory", "both"]
    assert table.correct.tolist() == [0, 6, 6, 6] and set(table.n) == {6}
    assert table.gained.tolist()[1:] == [6, 6, 6] and (table["diff"].dropna() == 1.0).all()
    assert table.learn_tokens.iloc[0] > 0


@pytest.fixture
def scripted_backend():
    registry.register_backend("learner", lambda rest, **options: CallableLLM(learner, name="learner"))
    yield "learner:x"
    registry._BACKENDS.pop("learner", None)


def test_the_commands_learn_run_show_and_report(scripted_backend, tmp_path, capsys, monkeypatch):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": s.id, "question": s.input, "answer": s.target, "type": "bridge",
                                        "level": "hard", "supporting_facts": {"title": [], "sent_id": []},
                                        "context": {"title": [], "sentences": []}}) + "\n"
                            for s in SAMPLES))
    monkeypatch.setenv("HOTPOTQA_PATH", str(data))
    memory = tmp_path / "memory.json"
    common = ["--agent", "cot_no_context", "--llm", scripted_backend, "--no-cache"]
    assert main(["learn", "--method", "notes", "--trials", "2", "--out", str(memory), *common]) == 0
    train_ids = LearntMemory.load(memory).train_ids
    assert len(train_ids) == 6
    assert main(["memory", "show", str(memory)]) == 0
    assert INSIGHT in capsys.readouterr().out
    root = tmp_path / "root"
    for extra in (["--strategy", "none", "--trials", "1"], ["--strategy", "reinagent", "--trials", "2"],
                  ["--strategy", "none", "--trials", "1", "--memory", str(memory)],
                  ["--strategy", "reinagent", "--trials", "2", "--memory", str(memory)]):
        assert main(["run", "--split", "test", "--out", str(root), *common, *extra]) == 0
    capsys.readouterr()
    assert main(["run", "--split", "train", "--out", str(root), "--memory", str(memory), *common]) == 1
    assert "6 of the 6 test samples were learnt from" in capsys.readouterr().err
    assert main(["report", str(root), "--out", str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    assert "| +reflection notes memory | 1 | 6/6 |" in out and "| no memory | 1 | 0/6 |" in out


def test_folds_each_learn_on_the_others_and_the_report_pools_them(model, tmp_path):
    from agents.memory.transfer.splits import SplitSpec, split_samples

    root, files = tmp_path / "root", []
    for fold in (0, 1):
        spec = SplitSpec(folds=2, fold=fold)
        train = split_samples(SAMPLES, "train", spec)
        memory = learn("hotpotqa", "cot_no_context", "notes", samples=train, n_trials=2, llm=model,
                       out=tmp_path / f"fold{fold}.json", split_spec=spec, cache=False)
        assert memory.split["folds"] == 2 and memory.split["fold"] == fold
        test = split_samples(SAMPLES, "test", spec)
        assert not set(memory.train_ids) & {s.id for s in test}
        files.append(_run(test, model, root, memory_file=tmp_path / f"fold{fold}.json"))
    plain = _run(SAMPLES, model, root)
    table = transfer_table([plain, *files])
    pooled = table[table.arm == "+reflection notes memory"].iloc[0]
    assert pooled.n == len(SAMPLES) and pooled.correct == len(SAMPLES)   # both folds, every sample once
