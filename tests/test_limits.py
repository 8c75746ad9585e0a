"""Rate limits, offline and without timing assertions: token-bucket arithmetic on a fake clock, the
pause a 429 imposes on every worker, AIMD on the calls in flight, and the backend wiring (a 429's
``Retry-After`` reaches the shared limiter; the caller does not sleep on its own as well)."""
from __future__ import annotations

import threading

import pytest

from agents.llm.limits import AIMD, FakeClock, Limiter, LimitedLLM, TokenBucket, with_limiter
from agents.testing.fake_server import FakeOpenAIServer, FaultPlan


# -- token buckets ----------------------------------------------------------------------------------
def test_bucket_pays_out_its_capacity_then_paces_at_its_rate():
    bucket = TokenBucket(rate=50, capacity=5, now=0.0)
    waits = [bucket.reserve(1, now=0.0) for _ in range(8)]
    assert waits[:5] == [0.0] * 5
    assert waits[5:] == pytest.approx([0.02, 0.04, 0.06])


def test_bucket_refills_to_capacity_only():
    bucket = TokenBucket(rate=10, capacity=2, now=0.0)
    bucket.reserve(2, now=0.0)
    assert bucket.reserve(1, now=100.0) == 0.0 and bucket.level == pytest.approx(1.0)


def test_bucket_refund_and_restart():
    bucket = TokenBucket(rate=1000 / 60, capacity=100, now=0.0)
    assert bucket.reserve(300, now=0.0) == pytest.approx(200 / (1000 / 60))
    bucket.refund(250)                       # the call used 50 of the 300 reserved
    assert bucket.reserve(1, now=0.0) == 0.0
    bucket.restart(at=10.0)                  # a pause until t=10: one unit there, nothing before
    assert bucket.reserve(1, now=10.0) == 0.0
    assert bucket.reserve(1, now=10.0) == pytest.approx(0.06)


def test_rates_must_be_positive():
    with pytest.raises(ValueError, match="rpm must be > 0"):
        Limiter(rpm=0)
    with pytest.raises(ValueError, match="rate must be > 0"):
        TokenBucket(rate=0, capacity=1, now=0)


def test_rpm_paces_requests_evenly():
    clock = FakeClock()
    limiter = Limiter(rpm=600, clock=clock, sleep=clock.sleep)     # 10 a second, burst of 1
    starts = []
    for _ in range(11):
        ticket = limiter.acquire()
        starts.append(clock.now)
        limiter.release(ticket, "ok")
    assert starts[-1] == pytest.approx(1.0) and starts[1] - starts[0] == pytest.approx(0.1)


def test_tpm_reserves_prompt_plus_max_tokens_and_settles_with_usage():
    clock = FakeClock()
    limiter = Limiter(tpm=6000, burst_s=1.0, clock=clock, sleep=clock.sleep)   # 100 a second, 100 held
    first = limiter.acquire(tokens=300)           # 100 in the bucket, 200 owed: 2 s
    assert clock.now == pytest.approx(2.0)
    limiter.release(first, "ok", used_tokens=50)  # the reply used 50: 250 come back
    second = limiter.acquire(tokens=100)          # without that refund it would wait 1 s more
    assert clock.now == pytest.approx(2.0)
    limiter.release(second, "rate_limited")       # a refused call gives all its tokens back
    limiter.acquire(tokens=100)
    assert clock.now == pytest.approx(2.0)


# -- the shared pause -------------------------------------------------------------------------------
def test_a_429_with_retry_after_pauses_every_worker():
    clock = FakeClock()
    limiter = Limiter(clock=clock, sleep=clock.sleep)              # no rate: only the pause
    first, second = limiter.acquire(), limiter.acquire()           # two workers' calls in flight
    limiter.release(first, "rate_limited", retry_after=5.0)        # worker 1 is told: wait 5 s
    limiter.release(second, "ok")                                   # worker 2 was not told anything
    limiter.acquire()                                                # ... yet its next call waits too
    assert clock.now == pytest.approx(5.0)
    limiter.acquire()                                                # and worker 1's retry: no more
    stats = limiter.stats()
    assert (stats["pauses"], stats["paused_s"], stats["rate_limited"]) == (1, 5.0, 1)
    assert clock.now == pytest.approx(5.0)


def test_a_shorter_pause_does_not_cut_a_longer_one():
    clock = FakeClock()
    limiter = Limiter(clock=clock, sleep=clock.sleep)
    limiter.pause(3.0)
    limiter.pause(1.0)
    limiter.acquire()
    assert clock.now == pytest.approx(3.0) and limiter.stats()["pauses"] == 1


def test_reservations_taken_before_a_pause_are_taken_again_after_it():
    clock = FakeClock()
    slept = []

    def sleep(seconds):            # worker 2 arrives while worker 1 sleeps on its reservation
        slept.append(seconds)
        if len(slept) == 1:
            limiter.pause(10.0)
        clock.sleep(seconds)

    limiter = Limiter(rpm=60, clock=clock, sleep=sleep)             # 1 a second
    limiter.acquire()                                                # t=0, free
    limiter.acquire()                                                # reserved t=1; a pause comes
    assert clock.now == pytest.approx(10.0)                          # went after the pause, not at 1
    assert limiter.stats()["requests"] == 2


def test_the_backend_hands_a_429s_retry_after_to_the_shared_limiter(sample):
    from agents.llm import make_llm
    from agents.testing.fake_server import scripted_brain

    clock = FakeClock()
    own_sleeps: list[float] = []
    limiter = Limiter(clock=clock, sleep=clock.sleep)
    plan = FaultPlan(rate=1.0, kinds=("429",), retry_after_s=7.0, max_faults_per_prompt=1)
    with FakeOpenAIServer(scripted_brain(sample.head(2)), faults=plan) as server:
        acting = make_llm("openai-compatible:scripted", base_url=server.base_url, limiter=limiter,
                          sleep=own_sleeps.append)
        reflecting = make_llm("openai-compatible:scripted", base_url=server.base_url, limiter=limiter)
        assert acting.complete("Question: a\nThought 1:").text      # 429, the pause, then served
        assert clock.now == pytest.approx(7.0) and own_sleeps == []  # waited once, in the limiter
        assert reflecting.complete("Question: b\nReflection:").text  # its own 429: another pause
    assert limiter.stats()["pauses"] == 2 and limiter.stats()["rate_limited"] == 2
    assert limiter.stats()["concurrency"]["decreases"] >= 1         # 429s shrink the window too


def test_a_429_is_paced_not_failed_beyond_max_retries(sample):
    from agents.llm import make_llm
    from agents.testing.fake_server import scripted_brain

    plan = FaultPlan(rate=1.0, kinds=("429",), retry_after_s=0.0, max_faults_per_prompt=5)
    with FakeOpenAIServer(scripted_brain(sample.head(1)), faults=plan) as server:
        llm = make_llm("openai-compatible:scripted", base_url=server.base_url, max_retries=1)
        assert llm.complete("Question: a\nThought 1:").text          # 5 429s, 1 retry allowed
        assert server.stats()["completions"] == 6


# -- AIMD -------------------------------------------------------------------------------------------
def test_aimd_halves_once_per_window_and_grows_back_by_one_per_window():
    window = AIMD(maximum=16)
    tickets = [window.acquire() for _ in range(16)]
    for ticket in tickets:
        window.release(ticket, overloaded=True)                     # one burst: one cut
    assert (window.limit, window.decreases) == (8.0, 1)
    window.release(window.acquire(), overloaded=True)               # news: sent after the cut
    assert window.limit == 4.0
    for _ in range(40):
        window.release(window.acquire(), overloaded=False)
    assert 8.0 < window.limit < 12.0 and window.low == 4.0
    for _ in range(2000):
        window.release(window.acquire(), overloaded=False)
    assert window.limit == 16.0                                      # never past the ceiling


def test_aimd_never_goes_below_its_minimum():
    window = AIMD(maximum=4, minimum=2)
    for _ in range(10):
        window.release(window.acquire(), overloaded=True)
    assert window.limit == 2.0


def test_aimd_blocks_a_call_beyond_the_window_until_one_returns():
    window = AIMD(maximum=2)
    held = [window.acquire(), window.acquire()]
    entered = threading.Event()

    def third():
        window.release(window.acquire(), overloaded=False)
        entered.set()

    worker = threading.Thread(target=third, daemon=True)
    worker.start()
    assert not entered.wait(0.2) and window.in_flight == 2           # held back
    window.release(held[0], overloaded=False)
    assert entered.wait(10)
    worker.join(10)
    assert window.max_in_flight == 2


def test_the_ceiling_is_the_runs_concurrency():
    limiter = Limiter()
    assert limiter.stats()["concurrency"]["now"] is None            # unbounded until a run sets it
    limiter.window.set_maximum(8)
    assert limiter.stats()["concurrency"]["now"] == 8.0 and limiter.describe()["max_in_flight"] == 8


# -- other backends ---------------------------------------------------------------------------------
def test_a_plain_callable_is_paced_by_a_wrapper():
    from agents.llm import CallableLLM

    clock = FakeClock()
    model = with_limiter(CallableLLM(lambda p: "Finish[x]", name="m"),
                         Limiter(rpm=30, clock=clock, sleep=clock.sleep))
    assert isinstance(model, LimitedLLM) and model.name == "m"
    for _ in range(4):
        model.complete("q")
    assert clock.now == pytest.approx(6.0)


def test_make_llm_builds_a_limiter_from_rpm_and_tpm():
    from agents.llm import make_llm

    llm = make_llm("openai-compatible:m", base_url="http://127.0.0.1:9/v1", rpm=3000, tpm=90000)
    assert llm.limiter.describe()["rpm"] == 3000 and llm.limiter.describe()["tpm"] == 90000
    with pytest.raises(ValueError, match="limiter= or rpm=/tpm=, not both"):
        make_llm("openai-compatible:m", base_url="http://127.0.0.1:9/v1", rpm=1, limiter=Limiter())
