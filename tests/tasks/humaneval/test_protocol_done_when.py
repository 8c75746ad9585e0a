"""Issue 18, "done when" (HumanEval): ``python -m agents run --task humaneval --problems 3 --trials 2``
on a scripted model that always writes a wrong body; the trial-2 *generation* prompt holds the
trial-1 implementation, its failing test with its output, and the reflection written about it.

The model is a registered backend (``--llm wrong-coder``, :func:`agents.llm.registry.register_backend`)
and the run goes through the CLI's ``main()``; the sandbox is the real one (bubblewrap). The same
run from a shell (what the report pastes)::

    python -m tests.tasks.humaneval.test_protocol_done_when run --task humaneval --problems 3 --trials 2 \\
        --llm wrong-coder --out /tmp/he --no-cache

Also here, item 4's definition of pass@1 (the original's: the hidden tests of the implementation
where the loop *stopped*), which the per-trial table's ``success_rate`` must follow even when the
model's own tests wave a wrong implementation through.
"""
from __future__ import annotations

import ast
import json
import sys
import threading

import pytest

from agents.llm.base import LLM, Completion, approx_token_count
from agents.llm.registry import _BACKENDS, register_backend
from agents.memory.text import LAST_ATTEMPT_HEADER, REFLECTIONS_HEADER
from agents.tasks.humaneval.scripted import WRONG_BODY, ScriptedCoder
from tests.tasks.humaneval import needs_sandbox

pytestmark = needs_sandbox

BACKEND = "wrong-coder"


class WrongCoder(LLM):
    """The scripted coder (correct tests from the docstring, a one-sentence reflection), except that
    every implementation it writes is ``return None``, whatever its memory says. Keeps every prompt."""

    backend = "scripted"

    def __init__(self, problems):
        self.coder, self.name, self.prompts = ScriptedCoder(problems), BACKEND, []
        self._lock = threading.Lock()

    def kind(self, prompt: str) -> str:
        if "\nReflection:" in prompt.rsplit("Previous trial:", 1)[-1]:
            return "reflect"
        return "tests" if prompt.endswith("# Tests:\nassert") else "code"

    def tests_for(self, prompt: str) -> str:
        """The docstring's examples as tests; for a docstring without any, one call that must not
        return None (so every problem has a test its wrong body fails)."""
        text = self.coder.reply_for(prompt)
        if text.strip():
            return text
        problem = self.coder._problem(prompt)
        (function,) = [node for node in ast.parse(problem["prompt"]).body if isinstance(node, ast.FunctionDef)
                       and node.name == problem["entry_point"]]
        return f" {function.name}({', '.join('0' for _ in function.args.args)}) is not None"

    def _generate(self, prompt, stop, max_tokens):
        with self._lock:
            self.prompts.append(prompt)
        kind = self.kind(prompt)
        text = WRONG_BODY if kind == "code" else self.tests_for(prompt) if kind == "tests" else \
            self.coder.reply_for(prompt)
        return Completion(text, approx_token_count(prompt), approx_token_count(text))


def register(problems=None) -> list[WrongCoder]:
    """Make ``--llm wrong-coder`` build a :class:`WrongCoder`; returns the list of models built."""
    if problems is None:
        from agents.tasks.humaneval.data import load_humaneval

        problems = load_humaneval()
    built: list[WrongCoder] = []
    register_backend(BACKEND, lambda rest, **options: built.append(WrongCoder(problems)) or built[-1],
                     forms=(BACKEND,))
    return built


@pytest.fixture
def wrong_coder():
    built = register()
    yield built
    _BACKENDS.pop(BACKEND, None)


def _records(run_dir):
    return [json.loads(line) for line in (run_dir / "attempts.jsonl").read_text().splitlines()]


def test_trial_two_generation_prompt_holds_the_code_its_failing_test_output_and_the_reflection(wrong_coder, tmp_path,
                                                                                               capsys):
    from agents.cli import main

    code = main(["run", "--task", "humaneval", "--problems", "3", "--trials", "2", "--llm", BACKEND,
                 "--out", str(tmp_path), "--no-cache"])
    out = capsys.readouterr()
    assert code == 0, out.err
    (model,) = wrong_coder
    (run_dir,) = (tmp_path / "codegen" / "reflexion").iterdir()        # the default arm's folder
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["strategy"] == "reflexion" and manifest["feedback_source"] == "tests"
    records = _records(run_dir)
    first = {r["sample_id"]: r for r in records if r["trial"] == 1}
    second = {r["sample_id"]: r for r in records if r["trial"] == 2}
    assert len(first) == 3 and set(second) == set(first), "every problem failed trial 1 and was retried"
    code_prompts = [p for p in model.prompts if model.kind(p) == "code"]
    assert len(code_prompts) == 6 and len([p for p in model.prompts if model.kind(p) == "reflect"]) == 3
    for sample_id, before in first.items():
        after = second[sample_id]
        assert not before["success"] and before["answer"] == WRONG_BODY
        failing = [line[len("failed: "):] for line in before["trajectory"].splitlines() if line.startswith("failed: ")]
        assert failing and all(line.endswith(("# output: None", "# failed")) for line in failing)
        reflection = after["reflection"]
        assert reflection.startswith("The implementation returned None")
        entry_point = model.coder._problem(before["input"])["entry_point"]
        # the generation prompt of trial 2 (not the reflection's): it ends with the problem to solve
        (prompt,) = [p for p in code_prompts if LAST_ATTEMPT_HEADER in p and f"Function: {entry_point}\n" in p]
        shown = prompt.split("(end of examples)")[-1]
        assert WRONG_BODY.rstrip() in shown, "the trial-1 implementation"
        assert all(line in shown for line in failing), "its failing tests with their output"
        assert REFLECTIONS_HEADER in shown and reflection in shown, "the reflection"
        assert prompt.rstrip().endswith(before["input"].rstrip()), "a generation prompt, ending at the stub"
    # the per-trial table printed: nothing solved (the body is always wrong)
    assert "reflexion" in out.out and manifest["counters"]["llm_calls"] == len(model.prompts) == 3 + 6 + 3


def test_pass_at_1_is_the_hidden_tests_of_the_implementation_where_the_loop_stopped(tmp_path):
    """Item 4: a wrong implementation that the model's own (wrong) tests accept stops the loop at
    trial 1; pass@1 (``success_rate``) counts it as failed at every trial, as the original's
    ``is_solved`` did, while the feedback's verdict (``feedback_success``) says it passed."""
    from agents.engine.report import summarize
    from agents.engine.runner import run_trials
    from agents.tasks.humaneval.data import load_humaneval

    (problem,) = [p for p in load_humaneval() if p["task_id"] == "HumanEval/53"]     # add(x, y)

    class Fooled(WrongCoder):
        def _generate(self, prompt, stop, max_tokens):
            if self.kind(prompt) == "tests":                 # a test `return None` passes
                self.prompts.append(prompt)
                return Completion(" add(2, 3) is None", 10, 5)
            return super()._generate(prompt, stop, max_tokens)

    frame = run_trials("codegen", [problem], task="humaneval", n_trials=3, llm=Fooled([problem]), root=tmp_path,
                       cache=False, progress=False)
    assert len(frame) == 1                                   # the loop stopped: its own tests passed
    (row,) = summarize(frame.to_dict("records"), n_samples=1)
    assert row["feedback_success"] == 1 and row["correct"] == 0 and row["success_rate"] == 0.0


if __name__ == "__main__":  # python -m tests.tasks.humaneval.test_protocol_done_when run --task humaneval ...
    from agents.cli import main

    models = register()
    status = main(sys.argv[1:])
    retries = [p for m in models for p in m.prompts if m.kind(p) == "code" and LAST_ATTEMPT_HEADER in p]
    if retries:  # what the model was shown at the first retry, after the few-shot examples
        print("--- a trial-2 generation prompt, after its examples ---")
        print(retries[0].split("(end of examples)")[-1].strip())
    sys.exit(status)
