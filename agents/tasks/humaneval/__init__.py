"""HumanEval (Chen et al., 2021), the kit's programming task: write a function from its signature
and docstring, with tests the agent writes itself, in a sandbox.

The package: the problems (``data``), the jail that runs model code (``sandbox``, ``jail``,
``worker``, ``judge``, ``protocol``), the hidden-test verdict and the agent's own test runs
(``scoring``), the docstring's examples as visible tests (``visible``), the prompts and few-shots,
the feedback sources (``feedback``), the reference numbers (``paper``) and a scripted model for
tests (``scripted``). Model-written code never runs in the kit's process: see ``scoring.py``.
The public scorer is exported here: ``score(problem, completion, timeout=10.0) -> ScoreResult``
(``passed``, ``reason`` in the kit's own words, ``seconds``; see :class:`.scoring.ScoreResult`).

Agent: ``codegen`` (:class:`agents.tasks.humaneval.actor.CodeGenAgent`); strategies: the original's
programming arms, ``reflexion`` by default (:data:`agents.strategies.ARMS`). Feedback: ``tests``
(the tests the model wrote decide a retry, as in the original: honest, the default),
``tests+docstring`` (those after the docstring's examples: a different feedback), ``oracle`` (the
hidden tests decide; the agent is told only "incorrect"), ``none`` (no verdict: the arms that run
no test). Whatever the feedback, the hidden tests are run once per attempt on its implementation,
for the ``pass`` score; they never reach a prompt or a record. pass@1 after trial k is defined as
the original defined it: the hidden tests of the implementation where the loop stopped (by trial
k), the per-trial table's ``success_rate`` (see :mod:`.paper`).

>>> TASK.name, TASK.unit, TASK.primary_score, TASK.feedback_sources, TASK.agents
('humaneval', 'problems', 'pass', ('tests', 'oracle', 'tests+docstring', 'none'), ('codegen',))
>>> s = TASK.sample_from({"task_id": "T/0", "prompt": "def one():\\n", "entry_point": "one",
...                       "canonical_solution": "    return 1\\n", "test": "def check(c): assert c() == 1\\n"})
>>> s.id, s.input, TASK.target_of(s)
('T/0', 'def one():\\n', None)
"""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import Any

from ...cli_types import positive_int
from ...types import Sample, TaskOption
from ..base import BaseTask
from .scoring import ScoreResult, TestOutcome, run_tests, score, score_many  # noqa: F401 - the public API

HIDDEN_TIMEOUT_S = 10.0  # the original's timeout for the hidden tests
TEST_TIMEOUT_S = 3.0     # per test of the agent's own
VERDICTS_KEPT = 4096     # verdicts remembered, so oracle feedback and the score share one run


class HumanEvalTask(BaseTask):
    name = "humaneval"
    title = "HumanEval"
    unit = "problems"
    agents = ("codegen",)
    feedback_sources = ("tests", "oracle", "tests+docstring", "none")
    primary_score = "pass"
    runs_dir = "programming_runs"
    metric = "pass@1"
    metric_note = "latest code after trial k passes the hidden tests"
    answer_format = "code"
    options = (
        TaskOption("--max-tests", "max_tests", {
            "type": positive_int, "metavar": "N",
            "help": "keep N of the tests the model writes, sampled reproducibly (default: every one, as "
                    "the original's logged run; with --visible-tests docstring: the first 6)"}),
        TaskOption("--visible-tests", "visible_tests", {
            "choices": ("none", "docstring"),
            "help": "docstring runs the docstring's examples before the model's tests, a different "
                    "feedback labelled tests+docstring (default: none, the original's)"}),
        TaskOption("--untested", "on_untested", {
            "choices": ("stop", "retry"),
            "help": "after an attempt with no runnable test, stop (the original's loop ended there; the "
                    "default) or retry, writing tests anew; it is never a pass"}),
    )

    def options_from_cli(self, given: dict[str, Any], agent: str) -> dict[str, Any]:
        """``--visible-tests docstring`` is a feedback source of its own (``tests+docstring``).

        >>> TASK.options_from_cli({"visible_tests": "docstring", "max_tests": 3}, "codegen")
        {'max_tests': 3, 'feedback': 'tests+docstring'}
        """
        options = {k: v for k, v in given.items() if k != "visible_tests"}
        if given.get("visible_tests") == "docstring":
            options["feedback"] = "tests+docstring"
        return options

    def __init__(self) -> None:
        self._verdicts: OrderedDict[tuple[str, int, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    # -- data ---------------------------------------------------------------------------------------------
    def data_status(self) -> str:
        from .data import DatasetUnavailable, humaneval_path, load_humaneval

        try:
            return f"{humaneval_path()} ({len(load_humaneval())} problems)"
        except (DatasetUnavailable, OSError, ValueError) as error:
            return f"missing: {error}"

    def load(self, n: int | None = None, seed: int = 0, path: str | None = None) -> list[Sample]:
        from .data import load_humaneval

        return self.to_samples(load_humaneval(path, n=n, seed=seed))

    def sample_from(self, record: dict[str, Any]) -> Sample:
        from .data import FIELDS

        missing = [f for f in FIELDS if f not in record]
        if missing:
            raise ValueError(f"HumanEval record {record.get('task_id', '?')!r} is missing field {missing[0]!r} "
                             "(records come from agents.tasks.humaneval.data.load_humaneval)")
        return Sample(id=str(record["task_id"]), input=record["prompt"], target=record["test"], data=dict(record))

    def target_of(self, sample: Sample) -> Any:
        return None  # the hidden tests stay out of the records

    # -- the agent ----------------------------------------------------------------------------------------
    def default_options(self, agent: str) -> dict[str, Any]:
        from ...actors.codegen import CODE_TOKENS, REFLECTION_TOKENS

        # The original's budgets, recorded in every manifest (the kit's old 256 cut whole functions).
        return {"max_tokens": CODE_TOKENS, "test_max_tokens": CODE_TOKENS, "reflect_max_tokens": REFLECTION_TOKENS,
                "max_tests": None, "on_untested": "stop"}

    def prompts(self, agent: str) -> dict[str, str]:
        from .prompts import default_prompts

        return default_prompts(self.check_agent(agent))

    def environment(self, agent: str, samples: list[Sample] | None = None, **options: Any) -> Any:
        """The sandbox, checked once before any attempt (a missing bubblewrap fails the run here,
        with the install line, instead of failing every attempt)."""
        from .sandbox import ceiling_in_force, check_sandbox

        check_sandbox()
        return {"kind": "bubblewrap sandbox", "test_timeout_s": TEST_TIMEOUT_S,
                "hidden_timeout_s": HIDDEN_TIMEOUT_S, "ceiling": ceiling_in_force()}

    def describe_environment(self, environment: Any) -> dict[str, Any]:
        if not isinstance(environment, dict):
            return {}
        return {**environment, "label": "tests run in a bubblewrap sandbox"}

    def build_agent(self, agent: str, sample: Sample, *, llm: Any, reflect_llm: Any, strategy: Any,
                    feedback: Any, environment: Any, **options: Any) -> Any:
        from .actor import CodeGenAgent
        from .scoring import run_tests
        from .visible import docstring_tests

        from ...strategies import ReinAgentStrategy

        self.check_agent(agent)
        strategy = ReinAgentStrategy.parse(strategy, task=self.name)
        timeout = (environment or {}).get("test_timeout_s", TEST_TIMEOUT_S)
        entry_point = sample.data["entry_point"]
        # tests+docstring feedback: the docstring's examples first (the kit's earlier default).
        if getattr(feedback, "source", None) == "tests+docstring":
            options.setdefault("test_source", "both")
        # test-acc runs the model's tests on the canonical solution; no other arm is handed it.
        reference = sample.data.get("canonical_solution") if strategy is ReinAgentStrategy.TEST_ACC else None
        return CodeGenAgent(sample.input, entry_point=entry_point,
                            visible_tests=docstring_tests(sample.input, entry_point),
                            run_tests=functools.partial(run_tests, timeout=timeout), reference=reference,
                            llm=llm, reflect_llm=reflect_llm, strategy=strategy, feedback=feedback,
                            sample_id=sample.id, task=self.name, **options)

    # -- feedback and scores ------------------------------------------------------------------------------
    def verdict(self, sample: Sample, completion: str) -> Any:
        """The hidden tests' verdict on ``completion`` (a :class:`~.scoring.ScoreResult`), run once per
        distinct completion: oracle feedback and the score of the same attempt share it."""
        from .scoring import score

        problem = sample.data
        key = (sample.id, hash((problem["prompt"], problem["test"], problem["entry_point"])), completion)
        with self._lock:
            if key in self._verdicts:
                self._verdicts.move_to_end(key)
                return self._verdicts[key]
        result = score(problem, completion, timeout=HIDDEN_TIMEOUT_S)
        with self._lock:
            self._verdicts[key] = result
            while len(self._verdicts) > VERDICTS_KEPT:
                self._verdicts.popitem(last=False)
        return result

    def feedback(self, source: str, sample: Sample, *, llm: Any, judge_llm: Any = None) -> Any:
        from . import feedback

        source = self.check_feedback(source)
        if source == "oracle":
            return feedback.hidden_tests(functools.partial(self.verdict, sample))
        if source == "none":
            return feedback.no_verdict()
        return feedback.own_tests(source)

    def score(self, sample: Sample, attempt: Any) -> dict[str, Any]:
        """``pass``: the hidden tests pass on the attempt's completion; ``hidden_reason``: why not,
        in the verdict's words (which never quote a hidden test). Under ``test-acc`` (no code is
        written) ``pass`` is what the original's test-acc log counted: every test the model wrote
        accepts the canonical solution."""
        if getattr(attempt, "strategy", None) == "test-acc":
            extra = getattr(attempt, "extra", {}) or {}
            accepted = bool(attempt.feedback and attempt.feedback.success)
            return {"pass": accepted, "tests_accept_canonical": accepted,
                    "tests_passed": int(extra.get("tests_passed", 0)), "tests_total": int(extra.get("tests_total", 0)),
                    "hidden_reason": ""}
        result = self.verdict(sample, attempt.answer or "")
        return {"pass": bool(result.passed), "hidden_reason": str(result.reason)[:160]}

    # -- references and estimates ---------------------------------------------------------------------------


    def estimate(self, agent: str, samples: list[Sample], model: Any, n_trials: int,
                 prompts: dict[str, str], options: dict[str, Any], reflects: bool) -> dict[str, int]:
        """Every problem fails every trial: trial 1 writes tests and code, each later trial a
        reflection (if the strategy reflects) and code, the last attempt shown each time (an upper
        bound for every arm: ``simple`` and ``test-acc`` make fewer calls)."""
        max_tokens = options.get("max_tokens") or model.max_tokens
        code, tests = prompts.get("template", "") + prompts.get("examples", ""), \
            prompts.get("tests_template", "") + prompts.get("tests_examples", "")
        reflect = prompts.get("reflect_template", "") + prompts.get("reflect_examples", "")
        calls = input_tokens = 0
        for sample in samples:
            stub = model.count_tokens(sample.input)
            attempt = stub + max_tokens + 200  # a trajectory: the code and its test results
            calls += 2 + (n_trials - 1) * (1 + int(reflects))
            input_tokens += model.count_tokens(tests) + stub
            input_tokens += n_trials * (model.count_tokens(code) + stub + attempt)
            if reflects:
                input_tokens += (n_trials - 1) * (model.count_tokens(reflect) + attempt)
        return {"calls": calls, "input_tokens": input_tokens, "output_tokens": calls * max_tokens}


TASK = HumanEvalTask()
