"""The agent base, task-agnostic: trials, the episodic memory, reflection, feedback, call accounting.

An agent is built for one sample and keeps its memory across trials. Each :meth:`Agent.run` is one
trial: if the previous one failed, the strategy decides what this one sees (a reflection is written
first when the strategy asks for one); then the actor's ``_attempt`` fills the trajectory, and the
feedback function's verdict on the final answer decides whether another trial follows.

>>> from agents.llm import CallableLLM
>>> from agents.actors.cot import CoTAgent
>>> agent = CoTAgent("What is 2+2?", llm=CallableLLM(lambda p: " 2+2 is 4.\\nAction: Finish[4]"),
...                  evaluator=lambda answer: answer == "4")
>>> attempt = agent.run()
>>> attempt.trial, attempt.answer, attempt.success, attempt.feedback_source
(1, '4', True, 'oracle')
"""
from __future__ import annotations

import inspect
import time
from typing import Any, Callable

from .actors.parsing import one_line
from .llm.base import DEFAULT_MAX_TOKENS, LLM, Completion, as_llm
from .strategies import LAST_ATTEMPT_TOKENS, ReinAgentStrategy, _DEFAULT, format_memory, shown_reflections
from .types import Attempt, Feedback, FeedbackFn

# Sent to the backend. A blank line is *not* a stop here: models often open a reflection with one,
# which would cut it to nothing; the reply is stripped first and then cut at the blank line.
REFLECTION_STOP = ["\nPrevious trial", "\nQuestion:", "(end of examples)"]


def clean_reflection(text: str, limit: int = 600, whole: bool = False) -> str:
    """The reflection as stored: leading whitespace stripped *before* cutting at a blank line
    (HotPotQA's one-line reflections). ``whole=True`` keeps every paragraph, uncut (ALFWorld's and
    HumanEval's originals kept the whole reply, bounded only by its token budget); whitespace is
    collapsed either way, so a note is one line of the memory.

    >>> clean_reflection("\\n\\nI searched the wrong page.\\n\\nPrevious trial: ...")
    'I searched the wrong page.'
    >>> clean_reflection("\\nPlan: go to desk 1.\\n\\nThen take the mug.", whole=True)
    'Plan: go to desk 1. Then take the mug.'
    >>> clean_reflection("   ")
    ''
    """
    text = (text or "").strip()
    if whole:
        return one_line(text, limit=len(text))
    return one_line(text.split("\n\n", 1)[0], limit=limit)


def oracle_feedback(evaluator: Callable[[str], bool]) -> FeedbackFn:
    """Wrap an ``answer -> bool`` evaluator (which holds the ground truth) as oracle feedback.

    >>> oracle_feedback(lambda a: a == "4")("4", "...")
    Feedback(success=True, message='', source='oracle')
    """
    def feedback(answer: str, trajectory: str) -> Feedback:
        return Feedback(success=bool(evaluator(answer)), source="oracle")

    return feedback


def feedback_observation(feedback: Feedback) -> str:
    """What the agent is told after answering: the paper's words under oracle feedback; under
    any other source, the verdict says who gave it.

    >>> feedback_observation(Feedback(False, source="oracle"))
    'Answer is INCORRECT'
    >>> feedback_observation(Feedback(True, "it follows from the page", source="self"))
    'Answer judged CORRECT by self-check: it follows from the page'
    """
    verdict = "CORRECT" if feedback.success else "INCORRECT"
    if feedback.source == "oracle":
        return f"Answer is {verdict}"
    reason = f": {feedback.message}" if feedback.message else ""
    return f"Answer judged {verdict} by {feedback.source}-check{reason}"


class Agent:
    """Base of the agents. Actors set ``kind`` and implement ``_attempt``, ``_prompt`` and
    ``_reflect_prompt``; they call :meth:`_call` for every model call and :meth:`_finish` with
    the final answer.

    Parameters shared by every agent:
    - ``llm``: the acting model (an :class:`~agents.llm.LLM`, a LangChain model or a callable);
    - ``feedback``: ``(answer, trajectory) -> Feedback`` (built by the task; the agent never holds
      the ground truth), or ``evaluator``: ``answer -> bool``, taken as oracle feedback;
    - ``strategy``: a :class:`ReinAgentStrategy` (or its name);
    - ``max_reflections``: how many of the newest reflections are shown (default: the strategy's,
      see :func:`agents.strategies.default_max_reflections`);
    - ``reflect_llm``: the model that writes reflections (default: ``llm``);
    - ``reflect_trace_tokens``: how much of the failed trace the reflection reads (default 1,600
      tokens, the original HotPotQA's; None: half the reflection model's context window), and
      ``reflect_max_tokens``: the reflection's reply budget (default: ``max_tokens``);
    - ``sample_id`` (``question_id`` is the older spelling) and ``task``: carried into every attempt;
    - ``template`` / ``examples`` / ``reflect_template`` / ``reflect_examples``: the prompts.
    """

    kind = "agent"
    input_label = "Question: "  # how the memory block names the sample when it shows a last attempt

    def __init__(self, task_input: str, *, llm: Any, feedback: FeedbackFn | None = None,
                 evaluator: Callable[[str], bool] | None = None,
                 strategy: ReinAgentStrategy | str = ReinAgentStrategy.NONE,
                 reflect_llm: Any = None, sample_id: str = "", question_id: str | None = None,
                 task: str = "hotpotqa", template: str | None = None, examples: str | None = None,
                 reflect_template: str | None = None, reflect_examples: str | None = None,
                 max_tokens: int = DEFAULT_MAX_TOKENS, max_reflections: Any = _DEFAULT,
                 last_attempt_tokens: int = LAST_ATTEMPT_TOKENS,
                 reflect_trace_tokens: int | None = LAST_ATTEMPT_TOKENS, reflect_max_tokens: int | None = None):
        if feedback is None:
            if evaluator is None or not callable(evaluator):
                raise TypeError("an agent needs feedback=(answer, trajectory) -> Feedback, or "
                                "evaluator=answer -> bool, e.g. agents.exact_match_evaluator(gold)")
            feedback = oracle_feedback(evaluator)
        if max_reflections is not _DEFAULT and max_reflections is not None and max_reflections < 1:
            raise ValueError(f"max_reflections must be >= 1 or None (all), got {max_reflections!r}")
        self.input = task_input
        self.sample_id = question_id if question_id is not None else sample_id
        self.task = task
        self.llm: LLM = as_llm(llm)
        self.reflect_llm: LLM = as_llm(reflect_llm) if reflect_llm is not None else self.llm
        self.feedback_fn = feedback
        # Feedback that asks a model (self-check, a judge) is handed ``call=`` so its calls are
        # counted in this attempt's tokens like every other call.
        self._feedback_takes_call = "call" in inspect.signature(feedback).parameters
        self.strategy = ReinAgentStrategy.parse(strategy, task=task)  # a name means what it means in the task
        self.template = template
        self.examples = examples
        self.reflect_template = reflect_template
        self.reflect_examples = reflect_examples
        self.max_tokens = max_tokens
        self.max_reflections = max_reflections
        self.last_attempt_tokens = last_attempt_tokens
        self.reflect_trace_tokens = reflect_trace_tokens
        self.reflect_max_tokens = reflect_max_tokens
        self.attempts: list[Attempt] = []
        self.reflections: list[str] = []  # the whole episodic memory; the strategy shows part of it
        self._reset()

    @property
    def question(self) -> str:
        """The sample's input (the name HotPotQA code has always used)."""
        return self.input

    @property
    def question_id(self) -> str:
        return self.sample_id

    # -- memory ---------------------------------------------------------------------------------
    @property
    def solved(self) -> bool:
        """Did some trial's feedback say success? (Such a sample is not run again.)"""
        return any(a.success for a in self.attempts)

    @property
    def last_attempt(self) -> str:
        """What LAST_ATTEMPT shows: the previous trajectory, or "" before the first trial."""
        return self.attempts[-1].trajectory if self.attempts else ""

    @property
    def shown_reflections(self) -> list[str]:
        if self.max_reflections is _DEFAULT:
            return shown_reflections(self.strategy, self.reflections)
        return shown_reflections(self.strategy, self.reflections, self.max_reflections)

    @property
    def memory(self) -> str:
        options = {} if self.max_reflections is _DEFAULT else {"max_reflections": self.max_reflections}
        return format_memory(self.strategy, f"{self.input_label}{self.input}", self.last_attempt,
                             self.reflections, last_attempt_tokens=self.last_attempt_tokens,
                             count_tokens=self.llm.count_tokens, **options)

    def restore(self, attempts: list[Attempt]) -> None:
        """Rebuild the memory from recorded attempts (resume): no model call is made.

        Each attempt records the reflection written just before it; records of older versions
        have only the reflections shown, which then are the memory.
        """
        self.attempts = sorted(attempts, key=lambda a: a.trial)
        written = [a.reflection for a in self.attempts if a.reflection]
        legacy = list(self.attempts[-1].reflections) if self.attempts else []
        self.reflections = written if any(a.reflection for a in self.attempts) else legacy

    # -- one trial --------------------------------------------------------------------------------
    def run(self) -> Attempt:
        """Run the next trial and return its :class:`Attempt` (also appended to ``attempts``)."""
        self._reset()
        started = time.perf_counter()
        reflection = ""
        try:
            last = self.attempts[-1] if self.attempts else None
            # A failed *answer* is reflected on; a failed *call* (error) has nothing to diagnose.
            if last is not None and not last.success and last.error is None and self.strategy.reflects:
                reflection = self.reflect()
                if reflection:  # an empty reflection is no memory: never store a placeholder
                    self.reflections.append(reflection)
            self._attempt()
        except Exception as error:  # a failing backend ends this attempt, never the run
            # (StopRun, a dead server or a stopping run, is a BaseException: it passes to the runner)
            self.error = f"{type(error).__name__}: {error}"
        attempt = Attempt(
            sample_id=self.sample_id, trial=len(self.attempts) + 1, task=self.task, agent=self.kind,
            strategy=self.strategy.value, input=self.input, answer=self.answer,
            trajectory=self.scratchpad.strip(), feedback=self.feedback_result,
            reflection=reflection, reflections=self.shown_reflections,
            last_attempt=self.last_attempt if self.strategy.shows_last_attempt else "",
            steps=self.steps, invalid_actions=self.invalid_actions, halted=self.halted,
            error=self.error, llm_calls=self.llm_calls, cache_hits=self.cache_hits,
            input_tokens=self.input_tokens, output_tokens=self.output_tokens,
            cached_tokens=self.cached_tokens, latency_s=round(time.perf_counter() - started, 4),
            extra=dict(self.extra))
        self.attempts.append(attempt)
        return attempt

    # True: a reflection keeps every paragraph of the reply (see clean_reflection).
    whole_reflections = False

    def reflection_trace(self) -> str:
        """The failed trace the reflection reads: ``reflect_trace_tokens`` of it (the original
        HotPotQA trimmed to ~1,600), never more than half the reflection model's window."""
        from .strategies import trim_trace

        half = max(256, self.reflect_llm.context_window // 2)
        budget = half if self.reflect_trace_tokens is None else min(self.reflect_trace_tokens, half)
        return trim_trace(self.last_attempt, budget, self.reflect_llm.count_tokens)

    def reflect(self) -> str:
        """Ask the reflection model to diagnose the last failed attempt (one or two sentences);
        "" when it wrote nothing usable."""
        saved = self.max_tokens
        self.max_tokens = self.reflect_max_tokens or saved
        try:
            reply = self._call(self._reflect_prompt(self.reflection_trace()), stop=REFLECTION_STOP,
                               llm=self.reflect_llm)
        finally:
            self.max_tokens = saved
        return clean_reflection(reply.text, whole=self.whole_reflections)

    def _attempt(self) -> None:
        raise NotImplementedError

    def _reflect_prompt(self, trajectory: str) -> str:
        raise NotImplementedError

    # -- helpers for actors ---------------------------------------------------------------------------
    def _reset(self) -> None:
        self.scratchpad = ""
        self.answer = ""
        self.feedback_result: Feedback | None = None
        self.finished = False
        self.halted = False
        self.error: str | None = None
        self.steps = 0
        self.invalid_actions = 0
        self.extra: dict[str, Any] = {}
        self.llm_calls = self.cache_hits = 0
        self.input_tokens = self.output_tokens = self.cached_tokens = 0

    @property
    def correct(self) -> bool:
        """The current trial's verdict so far (the older name of ``success``)."""
        return bool(self.feedback_result and self.feedback_result.success)

    def _call(self, prompt: str, stop: list[str], llm: LLM | None = None) -> Completion:
        # Which sample of the model this call is (sample, trial, call index): at temperature > 0 a
        # later trial re-samples while a re-run of the same run replays its draws from the cache.
        draw = f"{self.sample_id}/{len(self.attempts) + 1}/{self.llm_calls}"
        reply = (llm or self.llm).complete(prompt, stop=stop, max_tokens=self.max_tokens, draw=draw)
        self.llm_calls += 1
        self.cache_hits += int(reply.from_cache)
        self.input_tokens += reply.input_tokens
        self.output_tokens += reply.output_tokens
        self.cached_tokens += reply.cached_tokens
        return reply

    def _finish(self, answer: str) -> str:
        """Record the final answer, ask for feedback, and return the observation to show."""
        self.answer = answer
        trajectory = self.scratchpad.strip()
        self.feedback_result = (self.feedback_fn(answer, trajectory, call=self._call)
                                if self._feedback_takes_call else self.feedback_fn(answer, trajectory))
        self.finished = True
        return feedback_observation(self.feedback_result)
