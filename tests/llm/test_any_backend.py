"""Issue 19 item 2: a backend written in 20 lines (one request + classify) gets retries, the shared
limiter and fail-over, the same as the kit's own. Fakes only for the provider; the policy, the
limiter, the pool and the run engine are the real ones."""
from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agents.llm import LLM, Completion, Decision, LLMCallError, RetryPolicy, approx_token_count, make_llm
from agents.llm.base import ServerUnreachable
from agents.llm.limits import FakeClock, Limiter
from agents.llm.pool import ServerPool
from agents.llm.registry import _BACKENDS, register_backend

REPO = Path(__file__).resolve().parents[2]
FAST = RetryPolicy(backoff_base=0.001, backoff_cap=0.002, max_refusals=3, refused_for_s=0.0)


# -- the backend: 20 lines ------------------------------------------------------------------------------
class Provider(LLM):
    """A provider's API in 20 lines: one request, and what its failures mean."""

    backend, retry_policy = "provider", FAST

    def __init__(self, where="a", busy=1, down=False, brain=lambda prompt: "Finish[4]"):
        self.name, self._where, self.busy, self.down, self.brain = "provider-model", where, busy, down, brain
        self.requests = 0

    @property
    def where(self):
        return self._where

    def _generate(self, prompt, stop, max_tokens):
        self.requests += 1
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        if self.requests <= self.busy:
            raise LLMCallError(f"{self._where} is busy", status=429, retry_after=0.0)
        return Completion(self.brain(prompt), approx_token_count(prompt), 2)

    def classify(self, error):
        if isinstance(error, ConnectionRefusedError):
            return Decision(True, "connection", "connection refused", refused=True)
        return super().classify(error)            # an LLMCallError by its status: 429 is retried


# -- retries ----------------------------------------------------------------------------------------------
def test_a_429_raised_once_is_retried_not_the_end_of_the_sample():
    model = Provider()
    assert model.complete("2+2?").text == "Finish[4]" and model.requests == 2


def test_a_failure_that_persists_ends_in_an_error_naming_the_attempts():
    class Down(Provider):
        def _generate(self, prompt, stop, max_tokens):
            self.requests += 1
            raise LLMCallError("overloaded", status=503)

    model = Down()
    model.retry_policy = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_cap=0.002)
    with pytest.raises(LLMCallError, match=r"provider-model failed: HTTP 503 \(overloaded\) after 3 attempts"):
        model.complete("q")
    assert model.requests == 3


def test_an_error_that_is_no_model_failure_is_raised_as_it_is_at_once():
    def broken(prompt):
        raise ValueError("a bug in the provider's code")

    model = Provider(busy=0, brain=broken)
    with pytest.raises(ValueError, match="a bug"):
        model.complete("q")
    assert model.requests == 1


def test_a_request_past_the_policy_deadline_is_retried():
    slow = iter([1.0, 0.0])

    def brain(prompt):
        time.sleep(next(slow))
        return "Finish[late]"

    model = Provider(busy=0, brain=brain)
    model.retry_policy = RetryPolicy(deadline_s=0.2, backoff_base=0.001, backoff_cap=0.002)
    started = time.monotonic()
    assert model.complete("q").text == "Finish[late]" and model.requests == 2
    assert time.monotonic() - started < 0.9


# -- the shared limiter -----------------------------------------------------------------------------------
def test_it_is_paced_by_the_shared_limiter_and_its_429_pauses_every_caller():
    clock = FakeClock()
    limiter = Limiter(rpm=60, clock=clock, sleep=clock.sleep)          # one request a second
    paced = Provider(busy=0).with_limiter(limiter)
    for _ in range(3):
        paced.complete("q")
    assert clock.now == pytest.approx(2.0)

    class Slow(Provider):                                                # a 429 asking for 5 s
        def _generate(self, prompt, stop, max_tokens):
            self.requests += 1
            if self.requests == 1:
                raise LLMCallError("slow down", status=429, retry_after=5.0)
            return Completion("Finish[4]", 1, 1)

    Slow().with_limiter(limiter).complete("q")                          # sent at 3 s, told to wait 5 s
    assert clock.now == pytest.approx(8.0)                              # waited once, in the shared pause
    paced.complete("q")                                                 # the other model is paced after it
    assert clock.now == pytest.approx(9.0)
    stats = limiter.stats()
    assert (stats["pauses"], stats["rate_limited"], stats["ok"]) == (1, 1, 5)


def test_a_run_retries_it_and_its_429_reaches_the_runs_limiter(tmp_path):
    from agents.engine.runner import run_trials

    questions = [{"id": f"q{k}", "question": f"{k}+{k}?", "answer": str(2 * k)} for k in range(3)]
    model = Provider(busy=1, brain=lambda prompt: " Easy.\nAction: Finish[0]")
    frame = run_trials("cot_no_context", questions, n_trials=1, llm=model, root=tmp_path, run_name="any",
                       cache=False, progress=False)
    assert frame.error.isna().all() and model.requests == len(questions) + 1
    assert frame.attrs["manifest"]["traffic"]["rate_limited"] == 1


# -- fail-over --------------------------------------------------------------------------------------------
def test_a_pool_of_two_moves_to_the_other_when_one_is_down():
    down, up = Provider(where="a", busy=0, down=True), Provider(where="b", busy=0)
    pool = ServerPool([down, up], cooldown_s=60.0)
    assert [pool.complete(f"q{k}").text for k in range(4)] == ["Finish[4]"] * 4
    stats = {row["base_url"]: row for row in pool.server_stats()}
    assert stats["a"]["trips"] == 1 and stats["a"]["down"] and stats["a"]["ok"] == 0
    assert stats["b"]["ok"] == 4 and down.requests == 1 and up.requests == 4


def test_a_registered_backend_with_several_servers_is_a_pool_behind_one_limiter():
    servers = {"a": Provider(where="a", busy=0, down=True), "b": Provider(where="b", busy=0)}
    register_backend("provider", lambda rest, base_url: servers[base_url], takes_base_url=True)
    try:
        pool = make_llm("provider:m", base_url="a,b", rpm=6000, cooldown_s=60.0)
        assert isinstance(pool, ServerPool) and pool.limiter.rpm == 6000
        assert pool.complete("q").text == "Finish[4]" and pool.limiter.stats()["ok"] == 1
        assert pool.identity()["base_url"] == ["a", "b"]
    finally:
        _BACKENDS.pop("provider")


def test_every_server_refusing_stops_the_run_instead_of_waiting():
    pool = ServerPool([Provider(where="a", down=True), Provider(where="b", down=True)], cooldown_s=0.01)
    with pytest.raises(ServerUnreachable, match=r"every server of provider-model \(pool of 2\) refused 3"):
        pool.complete("q")


# -- the contract -----------------------------------------------------------------------------------------
def test_capabilities_are_declared_with_defaults_and_wrappers_keep_the_models():
    from agents.llm.cache import CachedLLM

    model = Provider()
    assert (model.is_chat, model.max_concurrency, model.check_reachable(), model.limiter) == (False, None, None, None)
    model.endpoint = "chat"
    wrapped = CachedLLM(model.with_limiter(Limiter()), None)
    assert wrapped.is_chat and wrapped.where == "a" and wrapped.max_concurrency is None


def test_the_contract_imports_no_backend():
    """base.py names only the retry policy and the signals; building nothing loads no backend."""
    tree = ast.parse((REPO / "agents" / "llm" / "base.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}
    assert imported == {"retry", "signals"}, imported
    code = "import sys, agents.llm; print(sorted(m for m in sys.modules if m.startswith('agents.llm.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    loaded = eval(out.stdout)   # noqa: S307 - our own list of module names
    assert not {"agents.llm.openai", "agents.llm.local", "agents.llm.langchain"} & set(loaded), loaded
