"""Answer scoring with HotPotQA's official normalization (Yang et al., 2018, hotpot_evaluate_v1).

Normalization lower-cases, drops punctuation, drops the articles a/an/the and collapses whitespace:

>>> normalize_answer("The  Answer!")
'answer'
>>> exact_match("the Oklahoma Sooners", "Oklahoma Sooners")
True
>>> round(f1("Sam Boyd Stadium in Nevada", "Sam Boyd Stadium"), 3)
0.75

Agents never see the gold answer: they are handed an *evaluator*, a callable ``answer -> bool``
(see :func:`exact_match_evaluator`), and its verdict is the feedback of the trial.
"""
from __future__ import annotations

import collections
import re
import string
from typing import Callable

Evaluator = Callable[[str], bool]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower-case, strip punctuation and articles, collapse whitespace.

    >>> normalize_answer("Gesellschaft mit beschränkter Haftung.")
    'gesellschaft mit beschränkter haftung'
    """
    text = str(text).lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> bool:
    """True when both answers are equal after normalization.

    >>> exact_match("Bath, Maine", "bath maine")
    True
    """
    return normalize_answer(prediction) == normalize_answer(gold)


def f1(prediction: str, gold: str) -> float:
    """Token-overlap F1 between normalized answers, as HotPotQA scores it.

    yes/no/noanswer only score when they match exactly (a "yes" never half-matches "yes it is").

    >>> f1("1978 World Cup", "1978")
    0.5
    >>> f1("no", "yes")
    0.0
    """
    pred, ref = normalize_answer(prediction), normalize_answer(gold)
    special = {"yes", "no", "noanswer"}
    if (pred in special or ref in special) and pred != ref:
        return 0.0
    pred_tokens, ref_tokens = pred.split(), ref.split()
    common = collections.Counter(pred_tokens) & collections.Counter(ref_tokens)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(pred_tokens)
    recall = overlap / len(ref_tokens)
    return 2 * precision * recall / (precision + recall)


def exact_match_evaluator(gold: str) -> Evaluator:
    """The default feedback: an evaluator that knows the gold answer so the agent does not.

    >>> is_correct = exact_match_evaluator("Creature Comforts")
    >>> is_correct("creature comforts"), is_correct("Wallace and Gromit")
    (True, False)
    """
    def is_correct(answer: str) -> bool:
        return exact_match(answer, gold)

    return is_correct
