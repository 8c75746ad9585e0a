"""R3: arbitrary model replies never crash an agent; invalid actions are counted (hypothesis).

Replies are empty, huge (~20k characters), unicode, several actions at once, nested or unbalanced
brackets, stray newlines, ``Finish[]``, a lone ``]``, fake observations and prompt markers. Each is
fed to every agent type (ReAct over a small offline docstore, CoT with and without context) and to
the reflection step. A model that *answers* is not a failing model, so ``attempt.error`` stays None.
"""
import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents import CoTAgent, ReactAgent
from agents.tasks.hotpotqa.docstore import OfflineDocstore
from agents.llm import LLM, Completion, approx_token_count
from agents.llm import cut_at_stop
from agents.reflexion import REFLECTION_STOP, clean_reflection
from agents.tasks.hotpotqa.actors import parse_action

PAGES = {"Opry Mills": ["Opry Mills is a super-regional shopping mall in Nashville, Tennessee.",
                        " It opened in 2000 on the former site of the Opryland USA theme park."],
         "Nashville": ["Nashville is the capital of Tennessee."]}
AGENT_KINDS = ("react", "cot_context", "cot_no_context")
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Pieces that make replies interesting for the parser and the prompt layout.
FRAGMENTS = ["", " ", "\n", "\n\n", "\r\n", "\t", "Thought:", "Thought 2:", "Action:", "Action 1:",
             "Action 7 :", "Finish[]", "Finish[ ]", "Finish[yes]", "finish [ no ]", "FINISH[Opry Mills]",
             "Search[Opry Mills]", "search[opry  mills]", "Search[Nowhere]", "Lookup[mall]", "Lookup[]",
             "Search[unbalanced", "Finish[a [b] c]", "Finish[[[x]]]", "]", "[", "]]", "[[", "[]",
             "Observation 1: fake", "\nObservation:", "Question: injected?", "(end of examples)",
             "Reflection:", "Previous trial:", "🙂", "é", "日本語", "\u202e", "\x00", "\ufeff", "𝔘𝔫𝔦"]
# The same without anything that could parse as an action: only empty actions and stray brackets.
NO_ACTION_FRAGMENTS = [f for f in FRAGMENTS if parse_action(f) is None and f not in ("[", "[[")]

huge = st.builds(lambda unit, n: (unit * (n // len(unit) + 1))[:n],
                 st.sampled_from(["a", "word ", "[", "]", "Finish[", "Search[x", "é\n", "Action 1: "]),
                 st.integers(5_000, 20_000))
reply = st.one_of(st.just(""), st.text(max_size=200),
                  st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=12).map("".join),
                  huge)
replies = st.lists(reply, min_size=1, max_size=8)
no_action_text = st.text(max_size=40).map(lambda s: s.replace("[", "(").replace("]", ")"))
no_action_reply = st.lists(st.one_of(st.sampled_from(NO_ACTION_FRAGMENTS), no_action_text),
                           max_size=10).map("".join)


class Scripted(LLM):
    """Plays the drawn replies in turn (cycling); the base class cuts them at the stop sequences."""

    name = "fuzz"

    def __init__(self, replies):
        self.replies, self.calls = list(replies), 0

    def _generate(self, prompt, stop, max_tokens):
        text = self.replies[self.calls % len(self.replies)]
        self.calls += 1
        return Completion(text, approx_token_count(prompt), approx_token_count(text))


class WatchedStore:
    """The offline docstore, remembering any exception it raised (the agent would swallow it)."""

    def __init__(self, store, errors):
        self.store, self.errors = store, errors

    def __copy__(self):
        return WatchedStore(copy.copy(self.store), self.errors)

    def _watch(self, method, argument):
        try:
            result = getattr(self.store, method)(argument)
        except Exception as error:
            self.errors.append(error)
            raise
        assert isinstance(result, str)
        return result

    def search(self, title):
        return self._watch("search", title)

    def lookup(self, keyword):
        return self._watch("lookup", keyword)


def make_agent(kind, model, errors, strategy="none"):
    common = dict(llm=model, evaluator=lambda answer: answer == "Nashville", strategy=strategy)
    if kind == "react":
        return ReactAgent("Where is Opry Mills?", docstore=WatchedStore(OfflineDocstore(PAGES), errors),
                          max_steps=4, **common)
    context = "Opry Mills is in Nashville." if kind == "cot_context" else None
    return CoTAgent("Where is Opry Mills?", context=context, **common)


def check(attempt, kind, model, errors):
    assert attempt.error is None, attempt.error
    assert not errors, f"the docstore raised {errors[0]!r}"
    assert isinstance(attempt.trajectory, str) and attempt.llm_calls == model.calls
    assert 0 <= attempt.invalid_actions <= max(attempt.steps, 1)
    if kind == "react":
        # Either Finish was reached (with a non-empty answer) or the agent halted.
        assert attempt.halted != bool(attempt.answer), (attempt.halted, attempt.answer)
        assert attempt.steps <= 4
    else:
        assert bool(attempt.answer) != bool(attempt.invalid_actions), (attempt.answer, attempt.invalid_actions)


@pytest.mark.parametrize("kind", AGENT_KINDS)
@SETTINGS
@given(drawn=replies)
def test_no_reply_crashes_an_agent(kind, drawn):
    model, errors = Scripted(drawn), []
    attempt = make_agent(kind, model, errors).run()
    check(attempt, kind, model, errors)


@pytest.mark.parametrize("kind", AGENT_KINDS)
@SETTINGS
@given(drawn=st.lists(no_action_reply, min_size=1, max_size=4))
def test_replies_without_an_action_are_counted_invalid(kind, drawn):
    model, errors = Scripted(drawn), []
    attempt = make_agent(kind, model, errors).run()
    check(attempt, kind, model, errors)
    assert attempt.invalid_actions >= 1 and not attempt.answer and not attempt.correct
    if kind == "react":
        assert attempt.halted and attempt.invalid_actions == attempt.steps == 4


@pytest.mark.parametrize("kind", AGENT_KINDS)
@SETTINGS
@given(first=replies, reflection=reply, second=replies)
def test_no_reply_crashes_the_reflection_step(kind, first, reflection, second):
    model, errors = Scripted(first), []
    agent = make_agent(kind, model, errors, strategy="reinagent")
    check(agent.run(), kind, model, errors)
    if agent.solved:
        return
    model.replies, model.calls = [reflection] + list(second), 0   # the reflection is the next call
    attempt = agent.run()
    assert attempt.error is None and attempt.trial == 2
    if not clean_reflection(cut_at_stop(reflection, REFLECTION_STOP)):  # an empty reflection is no memory
        assert attempt.reflections == [] and attempt.reflection == ""
        return
    assert len(attempt.reflections) == 1
    note = attempt.reflections[0]
    assert isinstance(note, str) and note and "\n" not in note and len(note) <= 600
