"""What every agent shares: trials, the episodic memory, reflection, and call accounting.

An agent is built for one question and keeps its memory across trials. Each :meth:`Agent.run` is
one trial: if the previous one failed, the strategy decides what this one sees (a reflection is
written first when the strategy asks for one); then the subclass's ``_attempt`` fills the
scratchpad, and the evaluator's verdict on the final answer is the feedback.

>>> from agents.llm import CallableLLM
>>> from agents.cot import CoTAgent
>>> agent = CoTAgent("What is 2+2?", llm=CallableLLM(lambda p: " 2+2 is 4.\\nAction: Finish[4]"),
...                  evaluator=lambda answer: answer == "4")
>>> attempt = agent.run()
>>> attempt.trial, attempt.answer, attempt.correct
(1, '4', True)
"""
from __future__ import annotations

import time
from typing import Any, Callable

from .attempt import Attempt
from .llm import DEFAULT_MAX_TOKENS, LLM, Completion, as_llm
from .parsing import one_line
from .prompts import CORRECT_OBSERVATION, INCORRECT_OBSERVATION
from .strategies import ReinAgentStrategy, format_memory

REFLECTION_STOP = ["\nPrevious trial", "\nQuestion:", "\n\n", "(end of examples)"]


def truncate_scratchpad(scratchpad: str, max_tokens: int, count_tokens: Callable[[str], int]) -> str:
    """Shorten the longest observations first until ``scratchpad`` fits in ``max_tokens``.

    Observations (whole encyclopedia paragraphs) are what grows; thoughts and actions are what the
    reflection needs to diagnose, so they are kept.

    >>> pad = "Thought 1: t\\nObservation 1: " + "long " * 50 + "\\nObservation 2: short"
    >>> print(truncate_scratchpad(pad, 20, lambda s: len(s.split())))
    Thought 1: t
    Observation 1: [truncated]
    Observation 2: short
    """
    lines = scratchpad.split("\n")
    while count_tokens("\n".join(lines)) > max_tokens:
        observations = [i for i, line in enumerate(lines)
                        if line.startswith("Observation") and not line.endswith("[truncated]")]
        if not observations:
            break
        longest = max(observations, key=lambda i: len(lines[i]))
        label = lines[longest].split(":", 1)[0]
        lines[longest] = f"{label}: [truncated]"
    return "\n".join(lines)


class Agent:
    """Base of the agents. Subclasses set ``kind`` and implement ``_attempt``, ``_prompt`` and
    ``_reflect_prompt``; they call :meth:`_call` for every model call and :meth:`_finish` on Finish.

    Parameters shared by every agent:
    - ``llm``: the acting model (an :class:`~agents.llm.LLM`, a LangChain model or a callable);
    - ``evaluator``: ``answer -> bool``, the feedback (the agent never sees the gold answer);
    - ``strategy``: a :class:`ReinAgentStrategy` (or its name);
    - ``reflect_llm``: the model that writes reflections (default: ``llm``);
    - ``question_id``: carried into every :class:`Attempt`;
    - ``examples`` / ``reflect_examples`` / ``template`` / ``reflect_template``: the prompts,
      defaulting to the agent type's own in :mod:`agents.prompts` and :mod:`agents.fewshots`.
    """

    kind = "agent"

    def __init__(self, question: str, *, llm: Any, evaluator: Callable[[str], bool],
                 strategy: ReinAgentStrategy | str = ReinAgentStrategy.NONE,
                 reflect_llm: Any = None, question_id: str = "",
                 template: str | None = None, examples: str | None = None,
                 reflect_template: str | None = None, reflect_examples: str | None = None,
                 max_tokens: int = DEFAULT_MAX_TOKENS):
        if evaluator is None or not callable(evaluator):
            raise TypeError("evaluator must be a callable answer -> bool, "
                            "e.g. agents.evaluate.exact_match_evaluator(gold)")
        self.question = question
        self.question_id = question_id
        self.llm: LLM = as_llm(llm)
        self.reflect_llm: LLM = as_llm(reflect_llm) if reflect_llm is not None else self.llm
        self.evaluator = evaluator
        self.strategy = ReinAgentStrategy.parse(strategy)
        self.template = template
        self.examples = examples
        self.reflect_template = reflect_template
        self.reflect_examples = reflect_examples
        self.max_tokens = max_tokens
        self.attempts: list[Attempt] = []
        self.reflections: list[str] = []
        self._reset()

    # -- memory ---------------------------------------------------------------------------------
    @property
    def solved(self) -> bool:
        """Did some trial answer correctly? (A solved question is not run again.)"""
        return any(a.correct for a in self.attempts)

    @property
    def last_attempt(self) -> str:
        """What LAST_ATTEMPT shows: the previous scratchpad, or "" before the first trial."""
        return self.attempts[-1].scratchpad if self.attempts else ""

    @property
    def memory(self) -> str:
        return format_memory(self.strategy, self.question, self.last_attempt, self.reflections)

    def restore(self, attempts: list[Attempt]) -> None:
        """Rebuild the memory from recorded attempts (resume): no model call is made.

        The reflections shown to the last recorded attempt are the memory it left behind; the
        reflection on that attempt itself is written when the next trial starts.
        """
        self.attempts = sorted(attempts, key=lambda a: a.trial)
        self.reflections = list(self.attempts[-1].reflections) if self.attempts else []

    # -- one trial --------------------------------------------------------------------------------
    def run(self) -> Attempt:
        """Run the next trial and return its :class:`Attempt` (also appended to ``attempts``)."""
        self._reset()
        started = time.perf_counter()
        try:
            last = self.attempts[-1] if self.attempts else None
            # A failed *answer* is reflected on; a failed *call* (error) has nothing to diagnose.
            if last is not None and not last.correct and last.error is None and self.strategy.reflects:
                self.reflections.append(self.reflect())
            self._attempt()
        except Exception as error:  # a failing backend ends this attempt, never the run
            self.error = f"{type(error).__name__}: {error}"
        attempt = Attempt(
            question_id=self.question_id, trial=len(self.attempts) + 1, agent=self.kind,
            strategy=self.strategy.value, question=self.question, answer=self.answer,
            correct=self.correct, scratchpad=self.scratchpad.strip(),
            reflections=list(self.reflections) if self.strategy.reflects else [],
            last_attempt=self.last_attempt if self.strategy.shows_last_attempt else "",
            steps=self.steps, invalid_actions=self.invalid_actions, halted=self.halted,
            error=self.error, llm_calls=self.llm_calls, cache_hits=self.cache_hits,
            input_tokens=self.input_tokens, output_tokens=self.output_tokens,
            cached_tokens=self.cached_tokens, latency_s=round(time.perf_counter() - started, 4))
        self.attempts.append(attempt)
        return attempt

    def reflect(self) -> str:
        """Ask the reflection model to diagnose the last failed attempt (one or two sentences)."""
        budget = max(256, self.reflect_llm.context_window // 2)
        scratchpad = truncate_scratchpad(self.last_attempt, budget, self.reflect_llm.count_tokens)
        reply = self._call(self._reflect_prompt(scratchpad), stop=REFLECTION_STOP,
                           llm=self.reflect_llm)
        return one_line(reply.text, limit=600) or "(the reflection model wrote nothing)"

    def _attempt(self) -> None:
        raise NotImplementedError

    def _reflect_prompt(self, scratchpad: str) -> str:
        raise NotImplementedError

    # -- helpers for subclasses -----------------------------------------------------------------------
    def _reset(self) -> None:
        self.scratchpad = ""
        self.answer = ""
        self.correct = False
        self.finished = False
        self.halted = False
        self.error: str | None = None
        self.steps = 0
        self.invalid_actions = 0
        self.llm_calls = self.cache_hits = 0
        self.input_tokens = self.output_tokens = self.cached_tokens = 0

    def _call(self, prompt: str, stop: list[str], llm: LLM | None = None) -> Completion:
        reply = (llm or self.llm).complete(prompt, stop=stop, max_tokens=self.max_tokens)
        self.llm_calls += 1
        self.cache_hits += int(reply.from_cache)
        self.input_tokens += reply.input_tokens
        self.output_tokens += reply.output_tokens
        self.cached_tokens += reply.cached_tokens
        return reply

    def _finish(self, answer: str) -> str:
        """Record the final answer, ask the evaluator, and return the observation to show."""
        self.answer = answer
        self.correct = bool(self.evaluator(answer))
        self.finished = True
        return CORRECT_OBSERVATION if self.correct else INCORRECT_OBSERVATION
