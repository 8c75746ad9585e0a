"""The task contract (issue 19 item 3): every registered task, and a toy fourth one from tests/,
has every member of :class:`agents.types.Task`; the engine and the CLI use no other; the toy task
runs end to end through ``python -m agents run`` with its own prompts and its own option, added by
one registry line."""
from __future__ import annotations

import json
import re
import typing
from pathlib import Path

import pytest

from agents.llm.base import CallableLLM
from agents.llm.registry import _BACKENDS, register_backend
from agents.tasks import REGISTRY, get_task, task_names
from agents.types import Sample, Task, TaskOption

REPO = Path(__file__).resolve().parents[1]
MEMBERS = typing._get_protocol_attrs(Task)  # noqa: SLF001 - the protocol's own list of members


@pytest.fixture
def toy_registered(monkeypatch):
    """The one line a new task adds to the registry."""
    monkeypatch.setitem(REGISTRY, "arith", "tests.toytask:TASK")
    yield get_task("arith")


def _all_tasks():
    return [*task_names(), "arith"]


@pytest.mark.parametrize("name", _all_tasks())
def test_every_task_has_every_member_of_the_contract(name, toy_registered):
    task = get_task(name)
    assert isinstance(task, Task)
    missing = sorted(m for m in MEMBERS if not hasattr(task, m))
    assert not missing, f"{name} lacks {missing}"
    assert task.agents and task.feedback_sources and task.default_feedback == task.feedback_sources[0]
    assert task.answer_format in ("text", "code", "action")
    assert all(isinstance(o, TaskOption) and o.flag.startswith("--") for o in task.options)
    assert len({o.flag for o in task.options}) == len(task.options)
    for agent in task.agents:
        prompts = task.prompts(agent)
        assert prompts.get("template") and prompts.get("reflect_template"), (name, agent)
        assert task.options_from_cli({}, agent) == {}
        assert all(o.applies(agent) or o.agents for o in task.options)
    with pytest.raises(ValueError, match=re.escape(task.agents[0])):
        task.check_agent("no-such-agent")
    not_offered = [s for s in ("oracle", "self", "judge", "tests", "none") if s not in task.feedback_sources]
    with pytest.raises(ValueError, match="offers feedback"):
        task.check_feedback(not_offered[0])
    assert isinstance(task.paper_curves(), dict)
    assert task.split_options({"x_option": 1}) == ({"x_option": 1}, {})


def test_the_engine_and_the_cli_use_no_task_member_outside_the_contract():
    """A member the engine reads but the protocol lacks is what a fourth task would miss."""
    used = set()
    for path in [*(REPO / "agents" / "engine").rglob("*.py"), REPO / "agents" / "cli.py", REPO / "agents" / "cli_options.py"]:
        used |= set(re.findall(r"\btask\.([a-z_]+)\b", path.read_text()))
    assert used and used <= MEMBERS, sorted(used - MEMBERS)


def test_a_fourth_task_from_tests_runs_end_to_end_with_its_own_prompts_and_option(toy_registered, tmp_path,
                                                                                    capsys):
    from agents.cli import main
    from tests.toytask import EXAMPLES

    prompts = []

    def adder(prompt: str) -> str:
        """Right only once a reflection is in the prompt: trial 2 of a wrong trial 1 is right."""
        prompts.append(prompt)
        if prompt.rstrip().endswith("Reflection:"):
            return " I should add carefully."
        a, b = map(int, re.findall(r"What is (\d+) \+ (\d+)\?", prompt)[-1])
        return f" Adding.\nAction: Finish[{a + b if 'add carefully' in prompt else a + b + 1}]"

    register_backend("adder", lambda rest, **options: CallableLLM(adder, name="adder"), forms=("adder",))
    try:
        code = main(["run", "--task", "arith", "--samples", "3", "--trials", "2", "--llm", "adder",
                     "--answer-tokens", "12", "--strategy", "reinagent", "--out", str(tmp_path), "--no-cache"])
    finally:
        _BACKENDS.pop("adder")
    assert code == 0, capsys.readouterr().err
    (manifest_path,) = tmp_path.glob("cot/reinagent/*/manifest.json")
    manifest = json.loads(manifest_path.read_text())
    records = [json.loads(line) for line in (manifest_path.parent / "attempts.jsonl").read_text().splitlines()]
    assert manifest["task"] == "arith" and manifest["agent"] == "cot"
    assert {(r["task"], r["agent"]) for r in records} == {("arith", "cot")}
    assert manifest["agent_options"]["max_tokens"] == 12          # its own option, recorded
    assert manifest["prompts"]["examples"]["text"] == EXAMPLES     # its own few-shots, hashed
    assert all("What is 10 + 7?" in p for p in prompts if not p.rstrip().endswith("Reflection:"))
    assert not any("Question:" in p and "Thought 1" in p for p in prompts)  # no HotPotQA few-shot
    trial_two = [r for r in records if r["trial"] == 2]
    assert len(trial_two) == 3 and all(r["correct"] for r in trial_two)


def test_a_task_option_is_refused_for_another_task(toy_registered, capsys):
    from agents.cli import main

    with pytest.raises(SystemExit):
        main(["run", "--task", "hotpotqa", "--answer-tokens", "5"])
    assert "--answer-tokens applies to --task arith, not hotpotqa" in capsys.readouterr().err


def test_generic_actors_import_no_task():
    """Actors take their prompts as arguments: none reaches into a task package."""
    for path in (REPO / "agents" / "actors").glob("*.py"):
        code = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith(">>>"))
        assert not re.search(r"^\s*(from|import) \S*tasks", code, re.M), path.name


def test_an_actor_without_its_prompts_is_refused():
    from agents.actors.cot import CoTActor

    with pytest.raises(TypeError, match="needs its prompts: template, examples"):
        CoTActor("Q?", llm=CallableLLM(str, name="m"), evaluator=lambda a: True)
    assert Sample("a", "b").id == "a"
