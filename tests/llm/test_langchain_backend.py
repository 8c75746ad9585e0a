"""``langchain:<provider>:<model>`` through LangChain's ``init_chat_model`` (issue 19 item 2), for real:
``langchain:openai:<model>`` with ``base_url`` on the kit's fake OpenAI-compatible server on loopback.
A provider's errors (a 429, a 400, a refused connection) are classified and handled by the one policy."""
from __future__ import annotations

import pytest

from agents.llm import LLMCallError, RetryPolicy, make_llm
from agents.llm.base import ServerUnreachable
from agents.llm.limits import Limiter
from agents.llm.pool import ServerPool
from agents.testing.fake_server import FakeOpenAIServer, FaultPlan

pytest.importorskip("langchain.chat_models")
pytest.importorskip("langchain_openai")

FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.02, max_refusals=3, refused_for_s=0.0)


def _model(server, **options):
    return make_llm("langchain:openai:scripted", base_url=server.base_url, retry_policy=FAST, **options)


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def test_it_answers_through_the_chat_endpoint_cut_at_stop():
    with FakeOpenAIServer(lambda prompt: " Paris\nObservation: made up") as server:
        model = _model(server, max_tokens=32)
        reply = model.complete("Q: capital of France?", stop=["\nObservation"])
        assert reply.text == " Paris" and reply.input_tokens > 0 and reply.output_tokens > 0
        assert server.served == 1
    assert model.is_chat and model.label == "langchain:openai:scripted"
    identity = model.identity()
    assert identity["base_url"] == server.base_url and identity["max_tokens"] == 32
    assert (identity["backend"], identity["provider"], identity["model"]) == ("langchain", "openai", "openai:scripted")


def test_a_langchain_429_is_classified_and_retried_through_the_shared_limiter():
    plan = FaultPlan(rate=1.0, kinds=("429",), retry_after_s=0.0, max_faults_per_prompt=2)
    with FakeOpenAIServer(lambda prompt: "Finish[4]", faults=plan) as server:
        model = _model(server)
        try:                                             # what LangChain itself raises: a 429
            model.model.invoke("what LangChain raises")
        except Exception as error:  # noqa: BLE001 - the provider's own exception type
            decision = model.classify(error)
        assert (decision.retry, decision.status, decision.after) == (True, 429, 0.0)
        limiter = Limiter()
        assert model.with_limiter(limiter).complete("2+2?").text == "Finish[4]"
        assert server.completions == 1 + 3 and server.served == 1   # the probe, 2 faults, the answer
    assert limiter.stats()["rate_limited"] == 2 and limiter.stats()["ok"] == 1


def test_a_langchain_400_is_not_retried_and_the_error_names_it():
    plan = FaultPlan(reject=lambda prompt: True)
    with FakeOpenAIServer(lambda prompt: "x", faults=plan) as server:
        with pytest.raises(LLMCallError, match=r"langchain:openai:scripted failed: HTTP 400") as caught:
            _model(server).complete("q")
        assert server.completions == 1
    assert caught.value.status == 400


def test_two_servers_are_a_pool_and_a_dead_one_is_skipped():
    with FakeOpenAIServer(lambda prompt: "Finish[b]") as alive:
        dead = FakeOpenAIServer(lambda prompt: "x").start()
        dead.stop()
        pool = make_llm("langchain:openai:scripted", base_url=[dead.base_url, alive.base_url],
                        retry_policy=FAST, cooldown_s=60.0)
        assert isinstance(pool, ServerPool)
        assert [pool.complete(f"q{k}").text for k in range(3)] == ["Finish[b]"] * 3
        assert alive.served == 3 and pool.server_stats()[0]["trips"] == 1


def test_a_dead_server_stops_the_run():
    server = FakeOpenAIServer(lambda prompt: "x").start()
    server.stop()
    with pytest.raises(ServerUnreachable, match=r"refused 3 connections in a row"):
        _model(server).complete("q")


def test_a_missing_key_or_provider_package_fails_at_once_saying_what_to_do(monkeypatch):
    with pytest.raises(ValueError, match=r"langchain:openai:gpt-4o-mini needs an API key: set OPENAI_API_KEY"):
        make_llm("langchain:openai:gpt-4o-mini")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789")
    try:
        import langchain_anthropic  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"langchain:anthropic:claude-x: .*langchain-anthropic"):
            make_llm("langchain:anthropic:claude-x")
    with pytest.raises(ValueError, match=r"langchain:nowhere:m: Unsupported provider='nowhere'"):
        make_llm("langchain:nowhere:m")
    with pytest.raises(ValueError, match=r"unknown model spec 'langchain'"):
        make_llm("langchain")
