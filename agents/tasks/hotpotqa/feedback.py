"""HotPotQA's feedback sources: the gold answer (the paper's), the actor's own check, or a judge.

``oracle`` compares the answer with the gold one by exact match, as the paper did; ``self`` and
``judge`` ask a model whether the attempt supports its answer, without the gold answer (the prompt
is :data:`~agents.tasks.hotpotqa.prompts.CHECK_TEMPLATE`). The judge's one-line reason becomes the
feedback message the reflection may read.

>>> fb = oracle("Frank Herbert")
>>> fb("frank herbert", "..."), fb("Asimov", "...").success
(Feedback(success=True, message='', source='oracle'), False)
>>> from agents.llm import CallableLLM
>>> check = model_check("self", "Who wrote Dune?", CallableLLM(lambda p: " yes. The page names him."))
>>> check("Frank Herbert", "Action 1: Search[Dune]")
Feedback(success=True, message='The page names him.', source='self')
"""
from __future__ import annotations

from typing import Any, Callable

from ...types import Feedback, FeedbackFn
from .prompts import CHECK_TEMPLATE
from .scoring import exact_match

CHECK_STOP = ["\nQuestion:", "\n\n", "(end of examples)"]


def oracle(gold: str) -> FeedbackFn:
    """Exact match against ``gold`` (held by this closure, never by the agent)."""
    def feedback(answer: str, trajectory: str) -> Feedback:
        return Feedback(success=exact_match(answer, gold), source="oracle")

    return feedback


def read_verdict(reply: str) -> tuple[bool, str]:
    """``(supported, reason)`` from a check reply; anything but a leading "yes" is a no.

    >>> read_verdict(" Yes, the page says so.")
    (True, 'the page says so.')
    >>> read_verdict("It might be.")
    (False, 'It might be.')
    """
    text = " ".join((reply or "").split())
    head = text.lower()
    for word, verdict in (("yes", True), ("no", False)):
        if head.startswith(word) and (len(head) == len(word) or not head[len(word)].isalpha()):
            return verdict, text[len(word):].lstrip(" .,:;-") or ""
    return False, text


def model_check(source: str, question: str, llm: Any, examples: str | None = None,
                template: str = CHECK_TEMPLATE) -> FeedbackFn:
    """A model reads the attempt (no gold answer) and says whether it supports the answer."""
    from .fewshots import CHECK_EXAMPLES

    shots = CHECK_EXAMPLES if examples is None else examples

    def feedback(answer: str, trajectory: str, call: Callable | None = None) -> Feedback:
        prompt = template.format(examples=shots, question=question, scratchpad=trajectory, answer=answer)
        reply = call(prompt, stop=CHECK_STOP, llm=llm) if call else llm.complete(prompt, stop=CHECK_STOP)
        supported, reason = read_verdict(reply.text)
        return Feedback(success=supported, message=reason[:300], source=source)

    return feedback
