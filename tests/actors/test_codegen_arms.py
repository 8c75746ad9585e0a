"""The original's programming arms, its test rule and its budgets, on the code-generation actor with
a scripted model and a stand-in sandbox: what each trial is shown, which calls are made, and with
what budget (issue 18 items 1-3; issue 21 item 2: an attempt with no runnable test)."""
import pytest

from agents.actors.code_parsing import Outcome
from agents.actors.codegen import CODE_TOKENS, REFLECTION_TOKENS, sample_tests
from agents.tasks.humaneval.actor import CodeGenAgent
from agents.llm import LLM, Completion
from agents.strategies import LAST_ATTEMPT_HEADER, REFLECTIONS_HEADER, ReinAgentStrategy
from agents.tasks.humaneval.feedback import no_verdict, own_tests

STUB = 'def f(x):\n    """Twice x.\n    >>> f(2)\n    4\n    """\n'
WRONG = "    return x + 1\n"
RIGHT = "    return 2 * x\n"


class Coder(LLM):
    """Answers by the kind of prompt; remembers every (kind, prompt, max_tokens, stop)."""

    name = "coder"

    def __init__(self, tests=" f(2) == 4\nassert f(0) == 0", reflection=" adds one; it must double.",
                 bodies=(WRONG,)):
        self.tests, self.reflection, self.bodies = tests, reflection, list(bodies)
        self.calls = []

    def kind(self, prompt):
        if prompt.endswith("# Tests:\nassert"):
            return "tests"
        if prompt.rstrip().endswith("Reflection: The implementation"):
            return "reflect"
        return "code"

    def _generate(self, prompt, stop, max_tokens):
        kind = self.kind(prompt)
        self.calls.append((kind, prompt, max_tokens, stop))
        if kind == "tests":
            text = self.tests
        elif kind == "reflect":
            text = self.reflection
        else:
            text = self.bodies.pop(0) if len(self.bodies) > 1 else self.bodies[0]
        return Completion(text, 10, 10)

    def prompts(self, kind):
        return [prompt for k, prompt, _, _ in self.calls if k == kind]


def sandbox(program, tests):
    """A stand-in for the sandbox: f doubles only when the body says so."""
    right = "return 2 * x" in program
    results = []
    for test in tests:
        arg = int(test.split("f(")[1].split(")")[0])
        want = int(test.rsplit("==", 1)[1])
        got = 2 * arg if right else arg + 1
        results.append(Outcome(test, got == want, "" if got == want else f"{test} # output: {got}"))
    return results


def agent(model, **options):
    options.setdefault("feedback", own_tests())
    return CodeGenAgent(STUB, entry_point="f", run_tests=sandbox, llm=model, sample_id="T/1",
                        visible_tests=["assert f(2) == 4"], **options)


def test_the_default_arm_is_the_originals_reflexion_loop():
    """Trial 2's code prompt holds trial 1's implementation, its failing test with its output, and
    the reflection written about it."""
    model = Coder(bodies=(WRONG, RIGHT))
    coder = agent(model)
    assert coder.strategy is ReinAgentStrategy.CODE_REFLEXION and coder.strategy.value == "reflexion"
    first, second = coder.run(), coder.run()
    assert not first.success and second.success
    retry = model.prompts("code")[1].split("(end of examples)")[-1]
    assert LAST_ATTEMPT_HEADER in retry and "return x + 1" in retry
    assert "failed: assert f(2) == 4 # output: 3" in retry
    assert REFLECTIONS_HEADER in retry and "The implementation adds one; it must double." in retry
    assert second.reflections == ["The implementation adds one; it must double."]


def test_only_the_newest_reflection_is_shown():
    model = Coder(reflection=" is wrong again.")
    coder = agent(model)
    for _ in range(3):
        coder.run()
    last = model.prompts("code")[-1].split("(end of examples)")[-1]
    assert last.count("The implementation is wrong again.") == 1 and len(coder.reflections) == 2


def test_immediate_refinement_shows_the_code_and_its_failures_and_writes_no_reflection():
    model = Coder()
    coder = agent(model, strategy="immediate-refinement")
    coder.run(), coder.run()
    retry = model.prompts("code")[1]
    assert "failed: assert f(2) == 4 # output: 3" in retry and REFLECTIONS_HEADER not in retry
    assert model.prompts("reflect") == []


def test_immediate_reflexion_runs_no_test_and_reflects_without_test_results():
    model = Coder(bodies=(WRONG, RIGHT, RIGHT))
    coder = agent(model, strategy="immediate-reflexion", feedback=no_verdict())
    attempts = [coder.run() for _ in range(3)]
    assert model.prompts("tests") == []                                   # no test is ever written
    reflect = model.prompts("reflect")[0].split("(end of examples)")[-1]
    assert "return x + 1" in reflect and "output:" not in reflect and "Tests: none (this strategy runs no test)" in reflect
    retry = model.prompts("code")[1]
    assert "return x + 1" in retry and "The implementation adds one" in retry and "failed:" not in retry
    # no verdict: every trial runs, none is a success and none says stop (the original ran every iteration)
    assert [a.feedback.untested for a in attempts] == [True] * 3
    assert not any(a.success or a.feedback.stop for a in attempts)


def test_simple_is_one_attempt_without_tests():
    model = Coder()
    attempt = agent(model, strategy="simple", feedback=no_verdict()).run()
    assert [k for k, *_ in model.calls] == ["code"] and attempt.feedback.stop and not attempt.success


def test_test_acc_runs_the_models_tests_on_the_canonical_solution():
    model = Coder(tests=" f(2) == 4\nassert f(3) == 7")                   # the second test is wrong
    attempt = agent(model, strategy="test-acc", reference=RIGHT).run()
    assert [k for k, *_ in model.calls] == ["tests"]                     # no code is written
    assert attempt.answer == RIGHT and not attempt.success and attempt.feedback.stop
    assert (attempt.extra["tests_passed"], attempt.extra["tests_total"]) == (1, 2)
    with pytest.raises(ValueError, match="reference="):
        agent(Coder(), strategy="test-acc")


def test_the_hotpotqa_spellings_keep_working():
    assert agent(Coder(), strategy="last_attempt").strategy is ReinAgentStrategy.IMMEDIATE_REFINEMENT
    assert agent(Coder(), strategy="last_attempt_and_reinagent").strategy is ReinAgentStrategy.CODE_REFLEXION
    model = Coder()
    coder = agent(model, strategy="reinagent")                           # reflections alone
    coder.run(), coder.run()
    retry = model.prompts("code")[1]
    assert REFLECTIONS_HEADER in retry and LAST_ATTEMPT_HEADER not in retry


# -- the tests the agent runs ------------------------------------------------------------------------------
MANY = " f(1) == 2\n" + "\n".join(f"assert f({i}) == {2 * i}" for i in range(2, 10))


def test_by_default_every_model_test_is_kept_and_no_docstring_example():
    coder = agent(Coder(tests=MANY))
    attempt = coder.run()
    assert len(attempt.extra["tests"]) == 9 and "assert f(1) == 2" in attempt.extra["tests"]


def test_max_tests_samples_reproducibly():
    one, two = agent(Coder(tests=MANY), max_tests=3).run(), agent(Coder(tests=MANY), max_tests=3).run()
    assert len(one.extra["tests"]) == 3 and one.extra["tests"] == two.extra["tests"]
    everything = [f"assert f({i}) == {2 * i}" for i in range(1, 10)]
    picks = {tuple(sample_tests(everything, 3, f"HumanEval/{i}")) for i in range(20)}
    assert len(picks) > 1                                                # another problem, another draw
    assert one.extra["tests"] == sample_tests(everything, 3, "T/1")      # kept in the reply's order


def test_docstring_tests_come_first_under_tests_plus_docstring():
    attempt = agent(Coder(tests=MANY), test_source="both").run()
    assert attempt.extra["tests"][0] == "assert f(2) == 4" and len(attempt.extra["tests"]) == 6


def test_an_attempt_without_a_runnable_test_is_untested_and_ends_its_trials():
    model = Coder(tests=" nothing here\nprint(f(1))")
    attempt = agent(model).run()
    assert attempt.feedback.untested and not attempt.success and attempt.feedback.stop
    assert attempt.extra["untested"] and attempt.extra["tests_total"] == 0
    assert "Tests: none" in attempt.trajectory and "Feedback: Untested" in attempt.trajectory


def test_on_untested_retry_writes_tests_anew():
    model = Coder(tests=" nothing here")
    coder = agent(model, on_untested="retry")
    first = coder.run()
    assert first.feedback.untested and not first.feedback.stop
    model.tests = " f(2) == 4"
    second = coder.run()
    assert len(model.prompts("tests")) == 2 and second.extra["tests"] == ["assert f(2) == 4"]
    with pytest.raises(ValueError, match="on_untested"):
        agent(Coder(), on_untested="maybe")


def test_a_feedback_that_calls_no_tests_a_pass_is_overruled():
    coder = agent(Coder(tests=""), feedback=lambda answer, trajectory, outcomes: type(own_tests()(
        answer, trajectory, outcomes=[Outcome("assert f(2) == 4", True)]))(True, "", "tests"))
    attempt = coder.run()
    assert attempt.feedback.untested and not attempt.success


# -- budgets ----------------------------------------------------------------------------------------------
def test_budgets_are_the_originals_and_a_reflection_is_not_cut_to_one_line():
    model = Coder(reflection=" adds one.\nIt must double x instead, for every input.")
    coder = agent(model)
    coder.run(), coder.run()
    budgets = {kind: max_tokens for kind, _, max_tokens, _ in model.calls}
    assert budgets == {"tests": CODE_TOKENS, "code": CODE_TOKENS, "reflect": REFLECTION_TOKENS} == \
        {"tests": 1024, "code": 1024, "reflect": 256}
    assert coder.reflections == ["The implementation adds one. It must double x instead, for every input."]
    reflect_stop = next(stop for kind, _, _, stop in model.calls if kind == "reflect")
    assert "\n" not in reflect_stop


@pytest.mark.parametrize("arm", ["simple", "immediate-reflexion"])
def test_an_arm_without_tests_is_never_labelled_tests_feedback(arm):
    """A run of an arm that runs no test must not be recorded as ``tests`` feedback."""
    from agents.engine.runner import run_trials
    from agents.llm import CallableLLM

    with pytest.raises(ValueError, match=f"the {arm} arm runs no test"):
        run_trials("codegen", [], task="humaneval", strategy=arm, feedback="tests",
                   llm=CallableLLM(str, name="m"), dry_run=True)
