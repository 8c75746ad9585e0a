"""Golden prompts: what every arm shows trial k+1, byte for byte, on every task's actors (issue 19 item 1).

Written against the code *before* memory became an object, and kept: each case runs one agent of
one task under one arm for five trials with a scripted model that fails, and records every prompt
it is sent (acting, tests, reflection) and every attempt's record. ``golden_prompts.json`` holds
them: the prompts in full where the few-shots are swapped for a short marker (so a change shows as
a readable diff), and a digest of the prompts with the task's own few-shots. A resumed agent (the
first two attempts restored, as the runner does) must then send the third trial's prompts again.

Regenerate only on purpose: ``REGEN_GOLDEN=1 pytest tests/memory/test_prompts_golden.py``.
"""
import hashlib
import json
import os
from pathlib import Path

import pytest

from agents.actors.code_parsing import Outcome
from agents.tasks.humaneval.actor import CodeGenAgent
from agents.llm import LLM, Completion
from agents.tasks import get_task
from agents.tasks.humaneval.feedback import no_verdict, own_tests
from agents.types import Sample

GOLDEN = Path(__file__).with_name("golden_prompts.json")
TRIALS = 5
HOTPOT_ARMS = ("none", "last_attempt", "reinagent", "last_attempt_and_reinagent")
CODE_ARMS = ("none", "reinagent", "simple", "reflexion", "immediate-refinement", "immediate-reflexion", "test-acc")
SHORT = {"examples": "<EXAMPLES>", "reflect_examples": "<REFLECT EXAMPLES>", "tests_examples": "<TEST EXAMPLES>"}


class Scripted(LLM):
    """Fails every attempt in each task's format; numbers its replies so trials differ; records prompts."""

    name = "golden"
    context_window = 8192

    def __init__(self):
        self.prompts, self.n = [], 0

    def _generate(self, prompt, stop, max_tokens):
        self.prompts.append(prompt)
        self.n += 1
        return Completion(self.reply(prompt), len(prompt) // 4, 5)

    def reply(self, prompt):
        n = self.n
        tail = prompt.rstrip()
        if tail.endswith("Reflection: The implementation"):
            return f" adds one instead of doubling (note {n}). It must return 2 * x."
        if tail.endswith("Reflection:"):
            return f" I gave answer {n} without checking the page; next time search the film first."
        if tail.endswith("# Tests:\nassert"):
            return " f(2) == 4\nassert f(0) == 0"
        if "def f(x):" in prompt:
            return f"    return x + {n}\n"
        if tail.endswith(">"):  # ALFWorld: one command per call
            return [" go to desk 1", " think: the mug may be in the drawer.", " open drawer 1",
                    " take mug 1 from drawer 1"][n % 4]
        step = tail.rsplit("Thought ", 1)[-1].split(":")[0]
        if step.isdigit():  # ReAct
            k = int(step)
            if k < 3:
                return f" I should look up part {k}.\nAction {k}: Search[Part {k}]"
            return f" It is answer {n}.\nAction {k}: Finish[answer {n}]"
        return f" I think it is answer {n}.\nAction: Finish[answer {n}]"  # CoT


class Store:
    """A docstore whose pages are long enough for the last attempt to be trimmed."""

    def search(self, title):
        return f"{title} is a page. " + " ".join(f"fact{i}" for i in range(60))

    def lookup(self, keyword):
        return f"(Result 1 / 1) {keyword} appears once."


class Room:
    """A game that is never won: every command answers the same way."""

    task_type, goal, won, done = "pick_and_place_simple", "put some mug on desk", False, False

    def reset(self):
        return "You are in the middle of a room. Looking around you, you see a desk 1 and a drawer 1.\n" \
               "Your task is to: put some mug on desk.", {}

    def step(self, action):
        return f"You try to {action}, but nothing happens here.", False, False, {}


class Rooms:
    def game(self, sample):
        return Room()


def sandbox(program, tests):
    right = "return 2 * x" in program
    return [Outcome(t, right, "" if right else f"{t} # output: wrong") for t in tests]


HOTPOT = Sample("hq1", "Which film did the director of Jaws make next?", "Close Encounters",
                data={"id": "hq1", "question": "Which film did the director of Jaws make next?",
                      "answer": "Close Encounters",
                      "supporting_facts": {"title": ["Jaws"], "sent_id": [0]},
                      "context": {"title": ["Jaws"], "sentences": [["Jaws is a 1975 film by Steven Spielberg."]]}})
CODE = 'def f(x):\n    """Twice x.\n    >>> f(2)\n    4\n    """\n'


def build(task_name, agent, arm, llm, short, **extra):
    options = {k: v for k, v in SHORT.items() if short and (task_name == "humaneval" or k != "tests_examples")}
    options.update(extra)
    if task_name == "humaneval":
        fb = no_verdict() if arm in ("simple", "immediate-reflexion") else own_tests("tests")
        return CodeGenAgent(CODE, entry_point="f", run_tests=sandbox, llm=llm, feedback=fb, strategy=arm,
                            sample_id="HumanEval/x", reference="    return 2 * x\n",
                            visible_tests=["assert f(2) == 4"], **options)
    task = get_task(task_name)
    options = {**task.default_options(agent), **options}
    if task_name == "hotpotqa":
        sample, env = HOTPOT, Store()
        fb = task.feedback("oracle", sample, llm=llm)
    else:
        sample = Sample("alf1", "put some mug on desk", data={})
        env = Rooms()
        options["max_steps"] = 5  # a short game keeps the golden file small
        fb = task.feedback("oracle", sample, llm=llm)
    return task.build_agent(agent, sample, llm=llm, reflect_llm=None, strategy=arm, feedback=fb,
                            environment=env, **options)


def record(attempt):
    out = attempt.to_record()
    out.pop("latency_s")
    return out


CASES = ([("hotpotqa", agent, arm, {}) for agent in ("cot_context", "cot_no_context", "react") for arm in HOTPOT_ARMS]
         + [("hotpotqa", "react", "last_attempt", {"last_attempt_tokens": 120}),
            ("hotpotqa", "cot_context", "reinagent", {"max_reflections": 2}),
            ("hotpotqa", "cot_context", "last_attempt_and_reinagent", {"max_reflections": None})]
         + [("alfworld", "react", arm, {}) for arm in HOTPOT_ARMS]
         + [("humaneval", "codegen", arm, {}) for arm in CODE_ARMS]
         + [("humaneval", "codegen", "last_attempt", {}), ("humaneval", "codegen", "reflexion", {"max_reflections": 2})])


def case_id(case):
    task, agent, arm, extra = case
    return "/".join([task, agent, arm] + [f"{k}={v}" for k, v in sorted(extra.items())])


def run_case(case, short):
    task, agent, arm, extra = case
    llm = Scripted()
    one = build(task, agent, arm, llm, short, **extra)
    attempts, prompts_by_trial = [], []
    for _ in range(TRIALS):
        before = len(llm.prompts)
        attempts.append(one.run())
        prompts_by_trial.append(llm.prompts[before:])
        if attempts[-1].success or (attempts[-1].feedback and attempts[-1].feedback.stop):
            break
    return llm, attempts, prompts_by_trial


def digest(texts):
    return hashlib.sha256(json.dumps(texts).encode()).hexdigest()


def current():
    out = {}
    for case in CASES:
        _, attempts, by_trial = run_case(case, short=True)
        _, full_attempts, full_by_trial = run_case(case, short=False)
        out[case_id(case)] = {"prompts": by_trial, "records": [record(a) for a in attempts],
                              "default_prompts_sha256": digest(full_by_trial),
                              "default_records_sha256": digest([record(a) for a in full_attempts])}
    return out


@pytest.fixture(scope="module")
def golden():
    if os.environ.get("REGEN_GOLDEN"):
        GOLDEN.write_text(json.dumps(current(), indent=1, sort_keys=True) + "\n")
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_prompts_and_records_are_the_golden_ones(golden, case):
    want = golden[case_id(case)]
    _, attempts, by_trial = run_case(case, short=True)
    assert len(by_trial) == len(want["prompts"])
    for trial, (got, expected) in enumerate(zip(by_trial, want["prompts"]), 1):
        assert len(got) == len(expected), f"trial {trial}: {len(got)} calls, golden {len(expected)}"
        for prompt, gold in zip(got, expected):
            assert prompt == gold, f"trial {trial}"
    assert [record(a) for a in attempts] == want["records"]
    _, full_attempts, full_by_trial = run_case(case, short=False)
    assert digest(full_by_trial) == want["default_prompts_sha256"]
    assert digest([record(a) for a in full_attempts]) == want["default_records_sha256"]


@pytest.mark.parametrize("case", [c for c in CASES if not c[3]], ids=case_id)
def test_a_resumed_agent_sends_the_same_prompts(case):
    llm, attempts, by_trial = run_case(case, short=True)
    if len(attempts) < 3:
        pytest.skip("a one-shot arm: nothing to resume")
    again = Scripted()
    again.n = sum(len(p) for p in by_trial[:2])  # the replies are numbered: continue the count
    fresh = build(case[0], case[1], case[2], again, True)
    fresh.restore(attempts[:2])
    third = fresh.run()
    assert again.prompts == by_trial[2] and record(third) == record(attempts[2])
