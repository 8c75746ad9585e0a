"""Servers that misbehave rather than fail (issue 16 items 9, 10, 11, 14; issue 21 item 9), each on a
real loopback server through both HTTP paths, each bounded in time: nothing waits an hour, grows
without bound, drips forever or retries a dead server sample by sample."""
from __future__ import annotations

import resource
import time

import pytest

from agents.llm import LLMCallError, make_llm
from agents.llm import base as llm_base
from agents.llm import limits as llm_limits
from agents.llm import openai as llm_openai
from agents.llm.base import Cancelled, ServerUnreachable
from agents.llm.limits import Limiter
from agents.testing.fake_server import FakeOpenAIServer, FaultPlan

pytest.importorskip("openai")

FAST = {"backoff_base": 0.01, "backoff_cap": 0.02}


def _model(server, **options):
    return make_llm("openai-compatible:scripted", base_url=server.base_url, **{**FAST, **options})


@pytest.fixture
def statuses():
    """What the backends tell the run's progress line."""
    seen: list[str] = []
    llm_base.set_status_sink(seen.append)
    yield seen
    llm_base.set_status_sink(None)


# -- item 9: Retry-After 3600 -----------------------------------------------------------------------
@pytest.mark.parametrize("shared", [False, True], ids=["own-backoff", "shared-limiter"])
def test_a_retry_after_of_an_hour_is_capped_on_both_paths_and_said(monkeypatch, statuses, shared):
    monkeypatch.setattr(llm_openai, "MAX_RETRY_AFTER_S", 0.3)   # the cap, small enough for a test
    monkeypatch.setattr(llm_limits, "MAX_PAUSE_S", 0.3)
    plan = FaultPlan(rate=1.0, kinds=("429",), retry_after_s=3600, max_faults_per_prompt=1)
    with FakeOpenAIServer(lambda p: "Finish[4]", faults=plan) as server:
        model = _model(server, limiter=Limiter() if shared else None)
        started = time.monotonic()
        assert model.complete("2+2?").text == "Finish[4]"
        took = time.monotonic() - started
    assert took < 3, f"waited {took:.1f} s on a Retry-After of an hour"
    assert any("Retry-After 3600 s, capped at 0.3 s" in line for line in statuses), statuses


def test_the_limiter_never_pauses_longer_than_its_cap():
    clock = llm_limits.FakeClock()
    limiter = Limiter(clock=clock, sleep=clock.sleep)
    limiter.release(limiter.acquire(), "rate_limited", retry_after=3600)
    limiter.acquire()
    assert clock.now == llm_limits.MAX_PAUSE_S


# -- item 10: bodies that never end, drip, or never come ------------------------------------------
@pytest.mark.parametrize("http_client", ["lean", "openai"])
def test_a_body_that_never_ends_is_cut_at_the_size_cap(http_client):
    plan = FaultPlan(rate=1.0, kinds=("endless",), max_faults_per_prompt=99)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with FakeOpenAIServer(lambda p: "x", faults=plan) as server:
        model = _model(server, http_client=http_client, max_reply_bytes=1 << 20)
        started = time.monotonic()
        with pytest.raises(LLMCallError, match=r"too-large \(the reply passed 1,048,576 bytes") as caught:
            model.complete("q")
    assert time.monotonic() - started < 10 and caught.value.attempts == 1   # not retried: it would repeat
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, f"RSS grew by {grown_mb:.0f} MB reading an endless body"


@pytest.mark.parametrize("http_client", ["lean", "openai"])
@pytest.mark.parametrize("kind", ["drip", "hang"])
def test_a_dripped_or_silent_reply_ends_at_the_total_deadline(http_client, kind):
    plan = FaultPlan(rate=1.0, kinds=(kind,), max_faults_per_prompt=99, drip_s=0.2)
    with FakeOpenAIServer(lambda p: "x", faults=plan) as server:
        model = _model(server, http_client=http_client, timeout=1.0, max_retries=1)
        started = time.monotonic()
        with pytest.raises(LLMCallError, match=r"timeout \(no complete reply within 1 s\) after 2 attempts"):
            model.complete("q")
    assert time.monotonic() - started < 5


def test_a_slow_call_is_reported_by_the_run(monkeypatch, tmp_path, capsys):
    from agents.engine import runner
    from agents.engine.trials import schedule

    monkeypatch.setattr(schedule, "SLOW_AFTER_S", 0.3)
    monkeypatch.setattr(schedule, "SLOW_CHECK_S", 0.2)
    plan = FaultPlan(rate=1.0, kinds=("hang",), max_faults_per_prompt=1)
    questions = [{"id": "q1", "question": "2+2?", "answer": "4"}]
    with FakeOpenAIServer(lambda p: " Easy.\nAction: Finish[4]", faults=plan) as server:
        frame = runner.run_trials("cot_no_context", questions, n_trials=1, llm=_model(server, timeout=1.5),
                                  root=tmp_path, run_name="slow", cache=False, progress=True)
    assert frame.correct.tolist() == [True]                     # the retry after the deadline answered
    assert "slow: 1 model call(s) running for over 0 s" in capsys.readouterr().err


def test_timeout_is_a_cli_option_for_openai_style_models():
    from agents.cli import build_parser

    assert build_parser().parse_args(["run", "--timeout", "7.5"]).timeout == 7.5
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--timeout", "0"])
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        make_llm("openai-compatible:m", base_url="http://127.0.0.1:9/v1", timeout=0)


# -- item 11: a dead server ---------------------------------------------------------------------------
def test_consecutive_refusals_stop_instead_of_retrying_sample_by_sample():
    server = FakeOpenAIServer(lambda p: "x").start()
    url = server.base_url
    server.stop()                                     # nobody listens on that port now
    model = make_llm("openai-compatible:scripted", base_url=url, max_retries=50, max_refusals=4,
                     refused_for_s=0.0, **FAST)
    started = time.monotonic()
    with pytest.raises(ServerUnreachable, match=r"refused 4 connections in a row .* run the same command"):
        model.complete("q")
    assert time.monotonic() - started < 3
    with pytest.raises(ServerUnreachable):            # and every later call at once
        model.complete("q")
    assert not isinstance(ServerUnreachable("x"), Exception)   # an actor's `except Exception` lets it by


def test_a_success_between_refusals_keeps_the_server_alive():
    streak = llm_openai._RefusalStreak(limit=3, span_s=0.0)
    streak.refused(), streak.refused()
    streak.reset()
    dead, count, _ = streak.refused()
    assert (dead, count) == (False, 1)
    assert streak.refused()[0] is False and streak.refused()[0] is True


# -- item 12 (the backend's part): a stopping run cancels waits at once ----------------------------
def test_a_shutdown_cancels_a_call_waiting_on_a_silent_server():
    import threading

    plan = FaultPlan(rate=1.0, kinds=("hang",), max_faults_per_prompt=99)
    with FakeOpenAIServer(lambda p: "x", faults=plan) as server:
        model = _model(server, timeout=60)
        threading.Timer(0.5, llm_base.request_shutdown).start()
        started = time.monotonic()
        try:
            with pytest.raises(Cancelled):
                model.complete("q")
        finally:
            llm_base.clear_shutdown()
    assert time.monotonic() - started < 3


# -- item 14: a reply that is not text ----------------------------------------------------------------
@pytest.mark.parametrize("endpoint", ["completions", "chat"])
def test_a_reply_whose_text_is_not_text_is_an_error_that_says_so(endpoint):
    plan = FaultPlan(rate=1.0, kinds=("not_text",), max_faults_per_prompt=99)
    with FakeOpenAIServer(lambda p: "x", faults=plan) as server:
        with pytest.raises(LLMCallError, match=r"the reply's text is int 42, not text"):
            _model(server, endpoint=endpoint, max_retries=0).complete("q")


# -- issue 21 item 9: a base URL without /v1 ------------------------------------------------------------
def test_a_base_url_without_v1_fails_the_check_and_suggests_it():
    with FakeOpenAIServer(lambda p: "x") as server:
        root = server.base_url[: -len("/v1")]
        model = make_llm("openai-compatible:scripted", base_url=root)
        with pytest.raises(LLMCallError, match=rf"{root}/completions does not exist \(HTTP 404\); .*"
                                               rf"try --base-url {root}/v1"):
            model.check_reachable()
        make_llm("openai-compatible:scripted", base_url=server.base_url).check_reachable()
        assert server.completions == 0                 # the probe generates nothing


def test_the_cli_refuses_a_base_url_without_v1_before_making_a_run_folder(tmp_path, capsys):
    from agents.cli import main

    with FakeOpenAIServer(lambda p: "x") as server:
        code = main(["run", "--agent", "cot_no_context", "--questions", "1", "--trials", "1",
                     "--llm", "openai-compatible:scripted", "--base-url", server.base_url[: -len("/v1")],
                     "--out", str(tmp_path), "--no-cache"])
    err = capsys.readouterr().err
    assert code == 1 and "usually ends in /v1: try --base-url" in err
    assert not list(tmp_path.rglob("attempts.jsonl")) and not list(tmp_path.rglob("manifest.json"))
