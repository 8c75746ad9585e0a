"""The agent base, task-agnostic: trials, reflection, feedback, call accounting.

An agent is built for one sample. Each :meth:`Agent.run` is one trial: if the previous one failed
and the arm reflects, a reflection is written on it (here, the one place reflections are written);
the memory (:class:`agents.types.Memory`, chosen by the arm) then learns of that attempt and says
what this one sees; the actor's ``_attempt`` fills the trajectory, and the feedback function's
verdict on the final answer decides whether another trial follows.

>>> from agents.llm import CallableLLM
>>> from agents.tasks.hotpotqa.actors import CoTAgent
>>> agent = CoTAgent("What is 2+2?", llm=CallableLLM(lambda p: " 2+2 is 4.\\nAction: Finish[4]"),
...                  evaluator=lambda answer: answer == "4")
>>> attempt = agent.run()
>>> attempt.trial, attempt.answer, attempt.success, attempt.feedback_source
(1, '4', True, 'oracle')
"""
from __future__ import annotations

import contextlib
import dataclasses
import inspect
import time
from typing import Any, Callable

from .actors.parsing import one_line
from .llm.base import DEFAULT_MAX_TOKENS, LLM, Completion, as_llm
from .memory.registry import Arm, MemoryContext
from .memory.text import LAST_ATTEMPT_TOKENS, trim_trace
from .strategies import ReinAgentStrategy, _DEFAULT
from .types import Attempt, Feedback, FeedbackFn, Memory

# Sent to the backend. A blank line is *not* a stop here: models often open a reflection with one,
# which would cut it to nothing; the reply is stripped first and then cut at the blank line.
REFLECTION_STOP = ["\nPrevious trial", "\nQuestion:", "(end of examples)"]
# Words a reflection template puts after its last cue start the reflection (HumanEval's "The implementation").
REFLECTION_CUE = "Reflection:"


def reflection_primer(template: str | None) -> str:
    """The words after the template's last ``Reflection:``, if nothing is filled in after it: a small
    base model continues them (and they are kept as the reflection's start).

    >>> reflection_primer("Previous trial:\\n{scratchpad}\\n\\nReflection: The implementation")
    'The implementation'
    >>> reflection_primer("{scratchpad}\\nReflection:"), reflection_primer("Reflection: {scratchpad}")
    ('', '')
    """
    if not template or REFLECTION_CUE not in template:
        return ""
    tail = template.rsplit(REFLECTION_CUE, 1)[1]
    return "" if "{" in tail else tail.strip()


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
    any other source, the verdict says who gave it; an attempt nothing could check says so.

    >>> feedback_observation(Feedback(False, source="oracle"))
    'Answer is INCORRECT'
    >>> feedback_observation(Feedback(True, "it follows from the page", source="self"))
    'Answer judged CORRECT by self-check: it follows from the page'
    >>> feedback_observation(Feedback(False, "no runnable test", source="tests", untested=True))
    'Untested: no runnable test'
    """
    if feedback.untested:
        return f"Untested: {feedback.message}" if feedback.message else "Untested"
    verdict = "CORRECT" if feedback.success else "INCORRECT"
    if feedback.source == "oracle":
        return f"Answer is {verdict}"
    reason = f": {feedback.message}" if feedback.message else ""
    return f"Answer judged {verdict} by {feedback.source}-check{reason}"


class Agent:
    """Base of the agents. Actors set ``kind`` and implement ``_attempt``, ``_prompt`` and
    ``_reflect_prompt``; they call :meth:`_call` for every model call, put :attr:`memory` (what
    the memory shows this trial) into their prompt, and call :meth:`_finish` with the final answer.

    Parameters shared by every agent:
    - ``llm``: the acting model (an :class:`~agents.llm.LLM`, a LangChain model or a callable);
    - ``feedback``: ``(answer, trajectory) -> Feedback`` (built by the task; the agent never holds
      the ground truth), or ``evaluator``: ``answer -> bool``, taken as oracle feedback;
    - ``strategy``: an arm of :mod:`agents.memory.registry`, its name, or a :class:`ReinAgentStrategy`;
    - ``memory_store``: the :class:`~agents.types.Memory` to use (default: a new one of the arm's;
      give one object to several agents for a memory that spans samples);
    - ``max_reflections``: how many of the newest reflections are shown (default: the arm's);
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
                 reflect_trace_tokens: int | None = LAST_ATTEMPT_TOKENS, reflect_max_tokens: int | None = None,
                 memory_store: Memory | None = None):
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
        # Feedback is handed what it names of: ``call=`` (a self-check or judge asks a model, its
        # calls counted in this attempt's tokens like every other), an actor's evidence (``outcomes=``).
        self._feedback_params = set(inspect.signature(feedback).parameters)
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
        self.reflections: list[str] = []  # every reflection written on this sample (the memory decides what is shown)
        self.memory_store: Memory = memory_store if memory_store is not None else self.arm.new_memory(MemoryContext(
            heading=self.memory_heading, count_tokens=self.llm.count_tokens, last_attempt_tokens=last_attempt_tokens,
            max_reflections=self.arm.max_reflections if max_reflections is _DEFAULT else max_reflections))
        self._observed = 0  # attempts the memory has been told of
        self._reset()

    @property
    def question(self) -> str:
        """The sample's input (the name HotPotQA code has always used)."""
        return self.input

    @property
    def question_id(self) -> str:
        return self.sample_id

    @property
    def arm(self) -> Arm:
        """The strategy's registry entry: what the memory is and what the loop does."""
        return self.strategy.arm

    # -- memory ---------------------------------------------------------------------------------
    @property
    def solved(self) -> bool:
        """Did some trial's feedback say success? (Such a sample is not run again.)"""
        return any(a.success for a in self.attempts)

    @property
    def last_attempt(self) -> str:
        """The previous trajectory (what a reflection reads), or "" before the first trial."""
        return self.attempts[-1].trajectory if self.attempts else ""

    @property
    def memory(self) -> str:
        """What this trial is shown of earlier ones: the memory's text for this sample."""
        return self.memory_store.render(self.sample_id)

    @property
    def shown_reflections(self) -> list[str]:
        return list(self.memory_store.shown(self.sample_id).get("reflections", []))

    def memory_heading(self, attempt: Attempt) -> str:
        """How a shown last attempt names its sample (``Question: ...``)."""
        return f"{self.input_label}{attempt.input}"

    def _tell_memory(self, reflection: str) -> None:
        """The memory learns of the attempts it has not seen, the last with its reflection."""
        for attempt in self.attempts[self._observed:]:
            self.memory_store.observe(self.sample_id, attempt, reflection if attempt is self.attempts[-1] else "")
        self._observed = len(self.attempts)

    def close(self) -> None:
        """The sample is through: the memory learns of its last attempt, if it has not (no trial
        follows to write a reflection on it). A memory that learns across samples wants this."""
        self._tell_memory("")

    def restore(self, attempts: list[Attempt], *, replay: bool = True) -> None:
        """Rebuild the memory from recorded attempts (resume): no model call is made.

        The memory is told of them as it was when they were made: each attempt with the reflection
        written on it, which the next attempt's record holds (``reflection``). Records of older
        versions have only the reflections shown: the newest shown one is taken as written.
        ``replay=False``: the memory holds them already (a run that ``load``-ed its saved state).
        Call it on a new agent.
        """
        self.attempts = sorted(attempts, key=lambda a: a.trial)
        written = [a.reflection for a in self.attempts if a.reflection]
        self.reflections = written or (list(self.attempts[-1].reflections) if self.attempts else [])
        notes = [after.reflection if written else _newly_shown(before, after)
                 for before, after in zip(self.attempts, self.attempts[1:])]
        for attempt, note in zip(self.attempts, notes) if replay else ():
            self.memory_store.observe(self.sample_id, attempt, note)
        self._observed = max(len(self.attempts) - 1, 0)
        if self.attempts and self.attempts[-1].success:  # no reflection ever follows a success
            self._observed += 1
            if replay:
                self.memory_store.observe(self.sample_id, self.attempts[-1], "")

    # -- one trial --------------------------------------------------------------------------------
    def run(self) -> Attempt:
        """Run the next trial and return its :class:`Attempt` (also appended to ``attempts``)."""
        self._reset()
        started = time.perf_counter()
        reflection = ""
        try:
            last = self.attempts[-1] if self.attempts else None
            try:
                # A failed *answer* is reflected on; a failed *call* (error) has nothing to diagnose.
                if last is not None and not last.success and last.error is None and self.arm.reflects:
                    reflection = self.reflect()
                    if reflection:  # an empty reflection is no memory: never store a placeholder
                        self.reflections.append(reflection)
            finally:  # even when the reflection failed: this trial's memory follows the last attempt
                self._tell_memory(reflection)
            self._attempt()
        except Exception as error:  # a failing backend ends this attempt, never the run
            # (StopRun, a dead server or a stopping run, is a BaseException: it passes to the runner)
            self.error = f"{type(error).__name__}: {error}"
        shown = self.memory_store.shown(self.sample_id)
        attempt = Attempt(
            sample_id=self.sample_id, trial=len(self.attempts) + 1, task=self.task, agent=self.kind,
            strategy=self.strategy.value, input=self.input, answer=self.answer,
            trajectory=self.scratchpad.strip(), feedback=self.feedback_result,
            reflection=reflection, reflections=list(shown.get("reflections", [])),
            last_attempt=str(shown.get("last_attempt", "")),
            steps=self.steps, invalid_actions=self.invalid_actions, halted=self.halted,
            error=self.error, llm_calls=self.llm_calls, cache_hits=self.cache_hits,
            input_tokens=self.input_tokens, output_tokens=self.output_tokens,
            cached_tokens=self.cached_tokens, latency_s=round(time.perf_counter() - started, 4),
            extra=dict(self.extra))
        self.attempts.append(attempt)
        if attempt.success:  # no reflection ever follows a success: the memory may learn of it now
            self._tell_memory("")
        return attempt

    # True: a reflection keeps every paragraph of the reply (see clean_reflection).
    whole_reflections = False
    reflection_stop = REFLECTION_STOP

    def reflection_trace(self) -> str:
        """The failed trace the reflection reads: ``reflect_trace_tokens`` of it (the original
        HotPotQA trimmed to ~1,600), never more than half the reflection model's window."""
        half = max(256, self.reflect_llm.context_window // 2)
        budget = half if self.reflect_trace_tokens is None else min(self.reflect_trace_tokens, half)
        return trim_trace(self.last_attempt, budget, self.reflect_llm.count_tokens)

    def reflect(self) -> str:
        """Ask the reflection model to diagnose the last failed attempt (one or two sentences);
        "" when it wrote nothing usable. Words the reflection template puts after its last
        ``Reflection:`` start the reflection (:func:`reflection_primer`), and the model continues them."""
        with self._budget(self.reflect_max_tokens or self.max_tokens):
            reply = self._call(self._reflect_prompt(self.reflection_trace()), stop=self.reflection_stop,
                               llm=self.reflect_llm).text
        if not reply.strip():
            return ""  # a primer alone is no reflection
        primer = reflection_primer(self.reflect_template)
        joint = " " if primer and reply[:1].isalnum() else ""
        return clean_reflection(f"{primer}{joint}{reply}", whole=self.whole_reflections)

    @contextlib.contextmanager
    def _budget(self, max_tokens: int):
        """A reply budget of its own for the calls in the block (reflections, tests)."""
        saved, self.max_tokens = self.max_tokens, max_tokens
        try:
            yield
        finally:
            self.max_tokens = saved

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

    def _finish(self, answer: str, **evidence: Any) -> str:
        """Record the final answer, ask for feedback (handing it the ``evidence`` it names, e.g. a
        code actor's ``outcomes``), apply the arm's rules (a one-shot arm ends the sample's trials),
        and return the observation to show."""
        self.answer = answer
        handed = {name: value for name, value in {"call": self._call, **evidence}.items()
                  if name in self._feedback_params}
        verdict = self._rule(self.feedback_fn(answer, self.scratchpad.strip(), **handed), evidence)
        if self.arm.one_shot and not verdict.stop:
            verdict = dataclasses.replace(verdict, stop=True)
        if verdict.untested:
            self.extra["untested"] = True
        self.feedback_result = verdict
        self.finished = True
        return feedback_observation(verdict)

    def _rule(self, verdict: Feedback, evidence: dict[str, Any]) -> Feedback:
        """An actor's own rules on a verdict (the code loop: no test ran means untested)."""
        return verdict


def _newly_shown(before: Attempt, after: Attempt) -> str:
    """In records without ``reflection`` (older versions), the reflection written before ``after``:
    the newest one it was shown, if its shown reflections changed."""
    shown = list(after.reflections or [])
    return shown[-1] if shown and shown != list(before.reflections or []) else ""
