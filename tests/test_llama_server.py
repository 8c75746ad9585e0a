"""The real thing: ``python -m agents serve`` (llama-cpp-python's server on the embedded model, on
loopback) and the kit's ``openai-compatible`` backend completing a HotPotQA attempt against it,
with no API key, on the default (completions) endpoint.
"""
import os

import pytest

from tests.test_serve import ServeProcess

pytest.importorskip("llama_cpp", reason="the embedded model needs llama-cpp-python (requirements.txt)")
pytest.importorskip("llama_cpp.server", reason="the server needs llama-cpp-python[server]")

MODEL_ALIAS = "gemma-3-270m"


@pytest.fixture(scope="module")
def llama_server():
    with ServeProcess() as server:   # bounded start; the process group is killed at the end
        yield server.base_url


def test_cot_with_context_attempt_against_llama_cpp_server(llama_server, sample, tmp_path, monkeypatch):
    from agents.llm import make_llm
    from agents.engine.runner import run_trials

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)     # a local server needs no key
    llm = make_llm(f"openai-compatible:{MODEL_ALIAS}", base_url=llama_server, timeout=180,
                   max_tokens=96)
    assert llm.endpoint == "completions"
    question = sample.iloc[[22]]   # "What is Opry Mills in Nashville, Tennessee?"
    frame = run_trials("cot_context", question, strategy="reinagent", n_trials=1, llm=llm,
                       root=tmp_path / "root", run_name="llama-server", cache=False, progress=False)
    assert len(frame) == 1
    attempt = frame.iloc[0]
    assert attempt.error is None or attempt.error != attempt.error, attempt.error   # None or NaN
    assert isinstance(bool(attempt.correct), bool) and attempt.llm_calls >= 1
    assert attempt.input_tokens > 100 and attempt.output_tokens > 0   # usage from the server
    assert attempt.trajectory.startswith("Thought:")
    assert os.path.exists(os.path.join(frame.attrs["run_dir"], "attempts.jsonl"))
