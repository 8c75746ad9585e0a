"""Real end-to-end trials on the embedded model (Gemma 3 270M via llama.cpp): no fakes.

A 270M base model rarely answers HotPotQA right; what these tests pin down is that the whole loop
runs for real: the model's replies are parsed, the docstore answers, the evaluator's verdict is
recorded, a reflection is written and shown to trial 2.
"""
import pytest

pytest.importorskip("llama_cpp", reason="the embedded model needs llama-cpp-python (requirements.txt)")

from agents import CoTAgent, ReactAgent, ReinAgentStrategy, make_llm  # noqa: E402
from agents.tasks.hotpotqa.docstore import OfflineDocstore  # noqa: E402
from agents.tasks.hotpotqa.scoring import exact_match_evaluator  # noqa: E402
from agents.tasks.hotpotqa.data import supporting_context  # noqa: E402


@pytest.fixture(scope="module")
def local_llm():
    return make_llm("local")


def _two_trials(agent):
    first = agent.run()
    if first.correct:  # solved at once: a second trial is not run (as in the paper)
        return [first]
    return [first, agent.run()]


def _check(attempts, strategy):
    for attempt in attempts:
        assert attempt.error is None, attempt.error
        assert attempt.llm_calls >= 1 and attempt.input_tokens > 0 and attempt.output_tokens > 0
        assert isinstance(attempt.correct, bool) and attempt.trajectory
    if len(attempts) == 2:
        assert attempts[1].trial == 2 and len(attempts[1].reflections) == 1
        assert attempts[1].reflections[0].strip()


def test_cot_with_context_two_trials_on_the_embedded_model(sample, local_llm):
    record = sample.iloc[22]  # "What is Opry Mills in Nashville, Tennessee?"
    agent = CoTAgent(record.question, context=supporting_context(record), llm=local_llm,
                     evaluator=exact_match_evaluator(record.answer),
                     strategy=ReinAgentStrategy.REINAGENT, question_id=record.id)
    attempts = _two_trials(agent)
    _check(attempts, ReinAgentStrategy.REINAGENT)
    assert attempts[0].trajectory.startswith("Thought:")


def test_react_two_trials_over_the_offline_docstore(sample, local_llm):
    record = sample.iloc[17]  # "The W. H. Shipman House is in what Hawaii county?"
    agent = ReactAgent(record.question, docstore=OfflineDocstore.from_records(sample), llm=local_llm,
                       evaluator=exact_match_evaluator(record.answer),
                       strategy=ReinAgentStrategy.REINAGENT, question_id=record.id, max_steps=4)
    attempts = _two_trials(agent)
    _check(attempts, ReinAgentStrategy.REINAGENT)
    assert attempts[0].trajectory.startswith("Thought 1:") and "Observation 1:" in attempts[0].trajectory
    # consecutive steps share the few-shot prefix: llama.cpp must not evaluate it again
    assert attempts[0].cached_tokens > 0.5 * attempts[0].input_tokens
