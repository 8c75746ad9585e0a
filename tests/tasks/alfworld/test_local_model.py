"""The embedded model (Gemma 3 270M, ``make_llm("local")``) plays a suite game on the real engine for a
few commands without crashing: whatever it writes becomes a command, a thought or an invalid action,
and the game's verdict is recorded. Skipped without llama-cpp-python or alfworld."""
from __future__ import annotations

import importlib.util

import pytest

if importlib.util.find_spec("alfworld") is None:  # find_spec: importing alfworld sets ALFWORLD_DATA
    pytest.skip("the ALFWorld engine is not installed: pip install alfworld==0.4.2", allow_module_level=True)
pytest.importorskip("llama_cpp", reason="the embedded model needs llama-cpp-python")


def test_the_embedded_model_plays_a_few_steps():
    from agents.llm import make_llm
    from agents.tasks.alfworld import TASK

    game = TASK.load(n=1)[0]
    rooms = TASK.environment("react", [game])
    llm = make_llm("local")
    try:
        agent = TASK.build_agent("react", game, llm=llm, reflect_llm=None, strategy="reinagent",
                                 feedback=TASK.feedback("oracle", game, llm=llm), environment=rooms,
                                 **TASK.prompts("react"), max_steps=4)
        attempt = agent.run()
    finally:
        rooms.close()
    assert attempt.error is None, attempt.error
    assert 1 <= attempt.steps <= 4 and attempt.feedback.source == "oracle"
    assert attempt.trajectory.startswith("You are in the middle of a room.")
    assert attempt.trajectory.count("\n>") == attempt.steps
    assert attempt.cached_tokens > 0  # the growing prompt reuses the KV prefix of the step before
