"""The transfer pipeline end to end on the embedded model (Gemma 3 270M via llama.cpp), small and
bounded: ``learn`` on one or two training samples, then a run of as many test samples shown the memory, for
HotPotQA (through the commands), HumanEval and ALFWorld. What is pinned down is that it all runs
for real: the memory file is written and read back, its digest reaches the manifest and every
record, the leakage guard holds, and the report shows the arms."""
import json

import pytest

pytest.importorskip("llama_cpp", reason="the embedded model needs llama-cpp-python (requirements.txt)")

from agents import make_llm  # noqa: E402
from agents.cli import main  # noqa: E402
from agents.engine.learn import learn  # noqa: E402
from agents.engine.runner import run_trials  # noqa: E402
from agents.engine.runs import Run  # noqa: E402
from agents.memory.transfer import LearntMemory  # noqa: E402
from agents.memory.transfer.splits import SplitSpec, load_split  # noqa: E402
from agents.memory.transfer.use import LeakageError  # noqa: E402
from agents.tasks import get_task  # noqa: E402


@pytest.fixture(scope="module")
def local_llm():
    return make_llm("local")


def _check(frame, memory):
    run = Run.read(frame.attrs["run_dir"])
    assert run.manifest.other["memory"]["digest"] == memory.digest()
    assert all(r.get("memory_digest") == memory.digest() for r in run.records)
    assert all(not r.get("error") for r in run.records), [r.get("error") for r in run.records]


def test_hotpotqa_learn_then_run_with_the_memory_through_the_commands(tmp_path, capsys):
    memory_file = tmp_path / "memory.json"
    common = ["--task", "hotpotqa", "--agent", "cot_no_context", "--samples", "2"]
    assert main(["learn", *common, "--method", "expel", "--trials", "2", "--out", str(memory_file)]) == 0
    memory = LearntMemory.load(memory_file)
    assert memory.method == "expel" and len(memory.train_ids) == 2 and memory.learn_usage["llm_calls"] >= 2
    root = tmp_path / "root"
    for extra in (["--strategy", "none", "--trials", "1"], ["--strategy", "none", "--trials", "1",
                                                               "--memory", str(memory_file)]):
        assert main(["run", *common, "--split", "test", "--out", str(root), *extra]) == 0
    capsys.readouterr()
    assert main(["run", *common, "--split", "train", "--out", str(root), "--memory", str(memory_file)]) == 1
    assert "2 of the 2 test samples were learnt from" in capsys.readouterr().err
    assert main(["report", str(root), "--out", str(tmp_path / "report")]) == 0
    assert "+ExpeL" in (tmp_path / "report" / "transfer.md").read_text() or "expel" in \
        (tmp_path / "report" / "transfer.md").read_text().lower()


def test_humaneval_learn_then_run_with_the_memory(tmp_path, local_llm):
    task = get_task("humaneval")
    train, test = (load_split(task, side, SplitSpec(), n=1) for side in ("train", "test"))
    bounded = dict(max_tokens=128, test_max_tokens=128, reflect_max_tokens=48)
    memory = learn(task, "codegen", "notes", samples=train, n_trials=2, llm=local_llm,
                   out=tmp_path / "memory.json", **bounded)
    frame = run_trials("codegen", test, task=task, strategy="reflexion", n_trials=1, llm=local_llm,
                       root=tmp_path / "root", memory_file=tmp_path / "memory.json", progress=False, **bounded)
    _check(frame, memory)
    with pytest.raises(LeakageError):
        run_trials("codegen", train, task=task, n_trials=1, llm=local_llm, root=tmp_path / "root",
                   memory_file=tmp_path / "memory.json", progress=False, **bounded)


def test_alfworld_learn_then_run_with_the_memory(tmp_path, local_llm):
    task = get_task("alfworld")
    train, test = (load_split(task, side, SplitSpec(), n=1) for side in ("train", "test"))
    bounded = dict(max_steps=3)
    memory = learn(task, "react", "notes", samples=train, n_trials=2, llm=local_llm,
                   out=tmp_path / "memory.json", **bounded)
    frame = run_trials("react", test, task=task, strategy="reinagent", n_trials=1, llm=local_llm,
                       root=tmp_path / "root", memory_file=memory, progress=False, **bounded)
    _check(frame, memory)
    assert json.loads((tmp_path / "memory.json").read_text())["task"] == "alfworld"
