"""The memory seam (issue 19 item 1): a memory is an object chosen by a registered arm; what trial
k+1 sees comes from it, and one that spans samples runs through run_trials without any actor,
task or runner knowing."""
import json

import pytest

from agents.engine.runner import run_trials
from agents.llm import LLM, Completion
from agents.memory import (Arm, LastAttempt, LastAttemptAndReflections, NoMemory, Reflections, register,
                           resolve, unregister)
from agents.memory.registry import arms, label, rank
from agents.strategies import ReinAgentStrategy, strategies_for
from agents.types import Attempt, Memory


class EveryNote:
    """A toy cross-sample memory: every sample is shown the reflections of *all* samples so far."""

    def __init__(self):
        self.notes = []

    def observe(self, sample_id, attempt, reflection):
        if reflection:
            self.notes.append(f"[{sample_id}] {reflection}")

    def render(self, sample_id):
        return "\nNotes from every question so far:\n" + "\n".join(f"- {n}" for n in self.notes) + "\n" \
            if self.notes else ""

    def shown(self, sample_id):
        return {"reflections": list(self.notes), "last_attempt": ""}

    def state(self):
        return {"notes": list(self.notes)}

    def load(self, state):
        self.notes = list(state["notes"])


class Recorder(LLM):
    """Answers every CoT prompt wrongly; a reflection names its question; remembers the prompts."""

    name = "seam"

    def __init__(self):
        self.prompts = []

    def _generate(self, prompt, stop, max_tokens):
        self.prompts.append(prompt)
        if prompt.rstrip().endswith("Reflection:"):
            question = prompt.rsplit("Question: ", 1)[1].split("\n", 1)[0]
            return Completion(f" I was wrong about: {question[:30]}", 10, 5)
        return Completion(" A guess.\nAction: Finish[surely not this]", 10, 5)


@pytest.fixture
def every_note():
    shared = EveryNote()
    arm = register(Arm("every-note", "every-note", "the reflections of every sample so far", reflects=True,
                       order=2, linestyle=(0, (4, 4)), memory=lambda context: shared))
    yield arm, shared
    unregister("every-note")


def test_a_cross_sample_memory_runs_through_run_trials_without_the_actor_knowing(sample, tmp_path, every_note):
    arm, shared = every_note
    model = Recorder()
    frame = run_trials("cot_no_context", sample.head(3), strategy="every-note", n_trials=2, llm=model,
                       root=tmp_path, run_name="seam", progress=False, barrier=True, cache=False)
    assert frame.attrs["run_dir"].endswith("cot_no_context/every-note/seam")
    manifest = json.load(open(f"{frame.attrs['run_dir']}/manifest.json"))
    assert manifest["strategy"] == "every-note" and set(frame.strategy) == {"every-note"}
    second = frame[frame.trial == 2]
    assert sorted(second.reflections.map(len)) == [1, 2, 3]  # each trial 2 saw the notes written before it
    last = second[second.reflections.map(len) == 3].iloc[0]
    ids = set(sample.head(3).id)
    assert {note.split("]")[0].strip("[") for note in last.reflections} == ids  # other samples' notes too
    acting = [p for p in model.prompts if not p.rstrip().endswith("Reflection:")]
    assert "Notes from every question so far:" in acting[-1]
    assert all(f"[{sid}]" in acting[-1] for sid in ids)
    assert len(shared.notes) == 3 and json.loads(json.dumps(shared.state())) == shared.state()


def test_the_registered_arm_is_an_arm_everywhere(every_note):
    arm, _ = every_note
    assert resolve("Every_Note", task="humaneval") is arm and ReinAgentStrategy.parse("every-note") is arm
    assert arm in strategies_for("alfworld") and arms()[-1] is arm
    assert (arm.value, arm.arm, rank("every-note"), label("every-note")) == ("every-note", arm, 2, "every-note")
    with pytest.raises(ValueError, match="'reflexion' is taken by arm 'reinagent'"):
        register(Arm("reflexion2", "reinagent2", "clash", aliases=("reflexion",)))
    with pytest.raises(ValueError, match="built in"):
        unregister("reinagent")


def test_an_unregistered_arm_is_gone_and_named_in_the_error():
    with pytest.raises(ValueError, match="unknown strategy 'every-note'; choose one of: none, last_attempt"):
        resolve("every-note")


def attempt(sid, trial, trajectory):
    return Attempt(sid, trial, "hotpotqa", "cot", "x", input=f"question {sid}?", trajectory=trajectory)


@pytest.mark.parametrize("memory", [NoMemory(), LastAttempt(), Reflections(), LastAttemptAndReflections(),
                                    EveryNote()], ids=lambda m: type(m).__name__)
def test_every_memory_keeps_the_contract_and_its_state_round_trips_as_json(memory):
    assert isinstance(memory, Memory)
    memory.observe("a", attempt("a", 1, "Thought: one"), "note a1")
    memory.observe("b", attempt("b", 1, "Thought: two"), "")
    memory.observe("a", attempt("a", 2, "Thought: three"), "note a2")
    state = json.loads(json.dumps(memory.state()))
    again = type(memory)()
    again.load(state)
    for sid in ("a", "b", "c"):
        assert again.render(sid) == memory.render(sid) and again.shown(sid) == memory.shown(sid)


def test_the_paper_memories_keep_samples_apart():
    memory = LastAttemptAndReflections(max_notes=None, heading=lambda a: f"Question: {a.input}")
    memory.observe("a", attempt("a", 1, "Thought: mine"), "a's note")
    memory.observe("b", attempt("b", 1, "Thought: theirs"), "b's note")
    assert "a's note" in memory.render("a") and "b's" not in memory.render("a")
    assert "Question: question a?\nThought: mine" in memory.render("a")
    assert memory.render("c") == "" and memory.shown("c") == {"reflections": [], "last_attempt": ""}


def test_a_memory_state_that_is_not_one_is_refused_with_its_kind():
    with pytest.raises(ValueError, match="a Reflections state is"):
        Reflections().load({"notes": []})


def test_the_engine_draws_and_pairs_a_registered_arm_by_its_entry(every_note):
    from types import SimpleNamespace as R

    from agents.engine.analysis import _strategy_rank
    from agents.engine.plots import run_styles

    style = run_styles([R(agent="cot_no_context", strategy="every-note", feedback_source="oracle", model="m")])[0]
    assert style["linestyle"] == (0, (4, 4))
    assert _strategy_rank("every-note") == 2 > _strategy_rank("last_trial") and _strategy_rank("nobody") == -1


class Log:
    """A memory that only logs what it is told."""

    def __init__(self):
        self.seen = []

    def observe(self, sample_id, attempt, reflection):
        self.seen.append((sample_id, attempt.trial, reflection))

    def render(self, sample_id):
        return ""

    def shown(self, sample_id):
        return {"reflections": [], "last_attempt": ""}

    def state(self):
        return {"seen": self.seen}

    def load(self, state):
        self.seen = [tuple(x) for x in state["seen"]]


def hotpot_agent(answers, memory=None, strategy="reinagent"):
    from agents.tasks import get_task
    from agents.types import Sample

    task = get_task("hotpotqa")
    replies = iter(answers)

    class Model(LLM):
        name = "log"

        def _generate(self, prompt, stop, max_tokens):
            if prompt.rstrip().endswith("Reflection:"):
                return Completion(" Read the question again.", 5, 5)
            return Completion(f" Hm.\nAction: Finish[{next(replies)}]", 5, 5)

    sample = Sample("s1", "Who?", "Ann", data={"id": "s1", "question": "Who?", "answer": "Ann"})
    options = {"memory_store": memory} if memory is not None else {}
    return task.build_agent("cot_no_context", sample, llm=Model(), reflect_llm=None, strategy=strategy,
                            feedback=task.feedback("oracle", sample, llm=None), environment=None, **options)


def test_the_memory_is_told_of_each_attempt_once_with_the_reflection_written_on_it():
    log = Log()
    agent = hotpot_agent(["Bob", "Cy", "Ann"], memory=log)
    attempts = [agent.run() for _ in range(3)]
    assert [a.success for a in attempts] == [False, False, True]
    assert log.seen == [("s1", 1, "Read the question again."), ("s1", 2, "Read the question again."), ("s1", 3, "")]
    agent.close()
    assert len(log.seen) == 3  # told once: a success is told at once, nothing is left to close


def test_close_tells_the_memory_of_an_attempt_no_trial_followed():
    log = Log()
    agent = hotpot_agent(["Bob"], memory=log)
    agent.run()
    assert log.seen == []  # its reflection would be written when a next trial starts
    agent.close()
    assert log.seen == [("s1", 1, "")]


@pytest.mark.parametrize("strategy", ["reinagent", "last_attempt_and_reinagent", "last_attempt"])
def test_records_of_older_versions_rebuild_the_same_memory(strategy):
    whole = hotpot_agent(["a", "b", "c", "d"], strategy=strategy)
    attempts = [whole.run() for _ in range(3)]
    old = [Attempt.from_record({**a.to_record(), "reflection": ""}) for a in attempts]  # no `reflection` field then
    resumed = hotpot_agent(["d"], strategy=strategy)
    resumed.restore(old)
    fourth, again = whole.run(), resumed.run()
    assert again.reflections == fourth.reflections and again.last_attempt == fourth.last_attempt
    assert resumed.memory == whole.memory  # what trial 4 was shown, by both
    assert strategy == "last_attempt" or fourth.reflections  # the memory is not empty where it reflects


def test_a_restore_without_replay_leaves_a_loaded_memory_as_it_is():
    log = Log()
    agent = hotpot_agent(["Bob", "Cy"], memory=log)
    attempts = [agent.run() for _ in range(2)]
    saved = json.loads(json.dumps(log.state()))
    again = Log()
    again.load(saved)
    resumed = hotpot_agent(["Ann"], memory=again)
    resumed.restore(attempts, replay=False)
    assert again.seen == log.seen == [("s1", 1, "Read the question again.")]
    resumed.run()  # trial 3: the memory is told of trial 2 with its reflection, once
    assert again.seen[1:] == [("s1", 2, "Read the question again."), ("s1", 3, "")]
