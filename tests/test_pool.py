"""Several servers of one model: spreading, skipping a dead server and using it again once it is
back (a fake clock drives the cool-downs), the start-of-run model check, the cache identity, the
manifest's per-server counts. Loopback fake servers only; no timing assertions."""
from __future__ import annotations

import threading

import pytest

from agents.llm import LLMCallError, make_llm
from agents.llm.limits import FakeClock
from agents.llm.pool import ServerPool, split_urls
from agents.testing.fake_server import FakeOpenAIServer, scripted_brain


@pytest.fixture
def brain(sample):
    return scripted_brain(sample.head(5))


def pool_of(servers, **options):
    options = {"api_key": "sk-test", "timeout": 5, "max_retries": 3, "backoff_base": 0.01,
               "backoff_cap": 0.02, **options}
    return make_llm("openai-compatible:scripted", base_url=[s.base_url for s in servers], **options)


def counts(pool):
    return [row["ok"] for row in pool.server_stats()]


def test_base_urls_as_a_list_or_commas_make_a_pool():
    urls = "http://127.0.0.1:9001/v1, http://127.0.0.1:9002/v1"
    for given in (urls, split_urls(urls)):
        pool = make_llm("openai-compatible:m", base_url=given)
        assert isinstance(pool, ServerPool) and len(pool.members) == 2
    one = make_llm("openai-compatible:m", base_url="http://127.0.0.1:9001/v1,")
    assert not isinstance(one, ServerPool)
    with pytest.raises(ValueError, match="listed twice"):
        make_llm("openai-compatible:m", base_url=["http://127.0.0.1:9001/v1"] * 2)


def test_calls_spread_over_the_servers(brain):
    with FakeOpenAIServer(brain) as a, FakeOpenAIServer(brain) as b:
        pool = pool_of([a, b])
        pool.check_reachable()
        for k in range(10):                      # one at a time: nothing in flight, so in turn
            assert pool.complete(f"Question: q{k}\nThought 1:").text
        assert counts(pool) == [5, 5] and (a.served, b.served) == (5, 5)


def test_the_server_with_fewer_calls_in_flight_gets_the_next(brain):
    with FakeOpenAIServer(brain, latency_s=0.2) as slow, FakeOpenAIServer(brain) as fast:
        pool = pool_of([slow, fast])
        done = []
        worker = threading.Thread(target=lambda: done.append(pool.complete("Question: a\nThought 1:")))
        worker.start()
        for _ in range(1000):                            # the first call is on the slow server...
            if pool.server_stats()[0]["requests"]:
                break
            threading.Event().wait(0.005)
        for k in range(3):                               # ... so these all go to the other one
            pool.complete(f"Question: b{k}\nThought 1:")
        worker.join(10)
        assert counts(pool) == [1, 3] and done


def test_a_dead_server_is_skipped_then_used_again_once_it_answers(brain):
    clock = FakeClock(100.0)
    with FakeOpenAIServer(brain) as a:
        b = FakeOpenAIServer(brain).start()
        port = b.port
        pool = pool_of([a, b], cooldown_s=5.0, clock=clock)
        pool.check_reachable()
        b.stop()                                   # server 2 dies
        for k in range(6):
            assert pool.complete(f"Question: q{k}\nThought 1:").text   # no call fails
        stats = pool.server_stats()
        assert stats[1]["trips"] == 1 and stats[1]["down"] and stats[1]["failed"] >= 1
        assert stats[0]["ok"] == 6 and stats[1]["ok"] == 0
        clock.sleep(5.0)                           # cool-down over, server still dead: a probe fails
        pool.complete("Question: r\nThought 1:")
        stats = pool.server_stats()
        assert stats[1]["trips"] == 2 and stats[1]["down"]
        with FakeOpenAIServer(brain, port=port) as back:   # server 2 comes back where it was
            clock.sleep(10.0)                      # the doubled cool-down
            for k in range(4):
                pool.complete(f"Question: s{k}\nThought 1:")
            assert back.served >= 1 and not pool.server_stats()[1]["down"]
            assert pool.server_stats()[1]["ok"] == back.served


def test_every_server_must_serve_the_model(brain):
    with FakeOpenAIServer(brain, model_name="scripted") as a, \
            FakeOpenAIServer(brain, model_name="other") as b:
        with pytest.raises(LLMCallError, match=r"server 2 of 2: .* does not serve model 'scripted'"):
            pool_of([a, b]).check_reachable()
        unnamed = make_llm("openai-compatible:", base_url=[a.base_url, b.base_url])
        with pytest.raises(LLMCallError, match=r"must serve one model: .* serves 'scripted', .* serves 'other'"):
            unnamed.check_reachable()


def test_an_unreachable_server_fails_the_start_with_what_to_do(brain):
    with FakeOpenAIServer(brain) as a:
        b = FakeOpenAIServer(brain).start()
        b.stop()
        with pytest.raises(LLMCallError, match=r"server 2 of 2: cannot reach .*; start it, or leave it out"):
            pool_of([a, b]).check_reachable()


def test_the_cache_identity_names_the_model_and_the_set_of_servers(brain, tmp_path):
    from agents.llm.cache import CachedLLM, ResponseCache

    with FakeOpenAIServer(brain) as a, FakeOpenAIServer(brain) as b, \
            FakeOpenAIServer(brain) as c, FakeOpenAIServer(brain) as d:
        first, swapped = pool_of([a, b]), pool_of([b, a])
        assert first.identity() == swapped.identity()
        assert first.identity()["base_url"] == sorted([a.base_url, b.base_url])
        assert first.identity()["model"] == "scripted"
        cache = ResponseCache(tmp_path / "c.sqlite")
        prompts = [f"Question: q{k}\nThought 1:" for k in range(4)]
        for prompt in prompts:                      # answered by a, b, a, b
            CachedLLM(first, cache).complete(prompt)
        again = CachedLLM(swapped, cache)
        assert all(again.complete(p).from_cache for p in prompts) and again.calls == 0
        # Issue 16 item 5: another cluster serving a model of the same name is another model.
        other = CachedLLM(pool_of([c, d]), cache)
        assert not any(other.complete(p).from_cache for p in prompts) and other.calls == len(prompts)
        assert c.served + d.served == len(prompts)


def test_a_run_on_a_pool_records_the_per_server_counts(sample, tmp_path):
    from agents.engine.runner import run_trials

    questions = sample.head(4)
    with FakeOpenAIServer(scripted_brain(questions)) as a, FakeOpenAIServer(scripted_brain(questions)) as b:
        frame = run_trials("react", questions, strategy="reinagent", n_trials=2, llm=pool_of([a, b]),
                           concurrency=4, root=tmp_path, run_name="pool", cache=False, progress=False)
    manifest = frame.attrs["manifest"]
    rows = manifest["servers"]
    assert [r["base_url"] for r in rows] == [a.base_url, b.base_url]
    assert sum(r["ok"] for r in rows) == frame.llm_calls.sum() == a.served + b.served
    assert all(r["ok"] > 0 for r in rows)
    assert manifest["config"]["model"]["base_url"] == sorted([a.base_url, b.base_url])
