"""The response cache keys everything that determines a reply, and fails safe (issue 16 items 5 and 6;
issue 18 item 12: sampling that really samples)."""
from __future__ import annotations

import json
import re
import sqlite3
import warnings

import pytest

from agents.engine.runner import ResumeRefused, run_trials
from agents.llm import LLM, CallableLLM, Completion, make_llm
from agents.llm.cache import CachedLLM, CacheUnreadable, CacheWarning, ResponseCache
from agents.testing.compare import comparable
from agents.testing.fake_server import FakeOpenAIServer

QUESTIONS = [{"id": f"q{i}", "question": f"What is {i}+{i}?", "answer": str(2 * i)} for i in range(1, 5)]


# -- item 5: what identifies a model ------------------------------------------------------------------
def test_two_unnamed_functions_never_share_replies(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    four = CachedLLM(CallableLLM(lambda p: "4"), cache)
    banana = CachedLLM(CallableLLM(lambda p: "banana"), cache)
    assert [four.complete("2+2?").text for _ in range(2)] == ["4", "4"] and four.calls == 2
    assert banana.complete("2+2?").text == "banana" and banana.hits == 0
    assert len(cache) == 0                                  # an unnamed function is never stored
    named = CachedLLM(CallableLLM(lambda p: "4", name="four"), cache)
    assert [named.complete("2+2?").from_cache for _ in range(2)] == [False, True]


def test_two_lambdas_of_one_name_are_two_models_to_a_resume(tmp_path):
    run_trials("cot_no_context", QUESTIONS, n_trials=1, llm=lambda p: " 4.\nAction: Finish[4]",
               root=tmp_path, run_name="fn", cache=False, progress=False)
    with pytest.raises(ResumeRefused, match="model changed .*function"):
        run_trials("cot_no_context", QUESTIONS, n_trials=2, llm=lambda p: " x.\nAction: Finish[banana]",
                   root=tmp_path, run_name="fn", cache=False, progress=False)


def test_every_sampling_parameter_is_keyed_and_a_resume_across_them_is_refused(tmp_path):
    brain = lambda prompt: " Easy.\nAction: Finish[4]"  # noqa: E731
    with FakeOpenAIServer(brain) as server:
        def model(seed):
            return make_llm("openai-compatible:scripted", base_url=server.base_url,
                            extra_body={"seed": seed, "top_p": 0.9})

        assert model(1).identity()["extra_body"] == {"seed": 1, "top_p": 0.9}
        cache = ResponseCache(tmp_path / "c.sqlite")
        CachedLLM(model(1), cache).complete("2+2?")
        other = CachedLLM(model(2), cache)
        assert not other.complete("2+2?").from_cache and server.completions == 2
        run_trials("cot_no_context", QUESTIONS, n_trials=1, llm=model(1), root=tmp_path, run_name="s",
                   cache_path=tmp_path / "c.sqlite", progress=False)
        with pytest.raises(ResumeRefused, match=r"model changed \(extra_body .*'seed': 1.*'seed': 2"):
            run_trials("cot_no_context", QUESTIONS, n_trials=1, llm=model(2), root=tmp_path, run_name="s",
                       cache_path=tmp_path / "c.sqlite", progress=False)


def test_a_model_file_is_identified_by_its_content_digest_computed_once(tmp_path, monkeypatch):
    from agents.llm import local

    a, b = tmp_path / "a" / "m.gguf", tmp_path / "b" / "m.gguf"
    for path, content in ((a, b"weights-1"), (b, b"weights-2")):   # same name, same size
        path.parent.mkdir()
        path.write_bytes(content)
    assert local.file_digest(a) != local.file_digest(b)
    store = json.loads(local._digest_store().read_text())
    assert sorted(store.values()) == sorted([local.file_digest(a), local.file_digest(b)])
    local._digests.clear()                                   # a new process: the store answers

    def no_reading(*args, **kwargs):
        raise AssertionError("the model file was read again")

    monkeypatch.setattr(local, "open", no_reading, raising=False)
    assert local.file_digest(a) == store[next(k for k in store if k.startswith(str(a.resolve())))]


def test_the_embedded_models_identity_holds_its_digest_and_sampling():
    pytest.importorskip("llama_cpp")
    from agents.llm import local

    model = make_llm("local", temperature=0.5, seed=3)
    identity = model.identity()
    assert identity["model_sha256"] == local.file_digest(model.model_path)
    assert identity["temperature"] == 0.5 and identity["seed"] == 3 and identity["llama_cpp"]
    assert identity["sampling"] == {"top_p": 1.0, "top_k": 0, "min_p": 0.0, "repeat_penalty": 1.0}


# -- item 6: a cache that cannot be written or read ---------------------------------------------------
def test_a_cache_file_that_is_not_a_database_is_named_with_the_fix(tmp_path):
    path = tmp_path / "responses.sqlite"
    path.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(CacheUnreadable, match=rf"the response cache {re.escape(str(path))} is unreadable "
                                              r"\(file is not a database\): delete it .*--no-cache"):
        ResponseCache(path)
    with pytest.raises(CacheUnreadable):
        run_trials("cot_no_context", QUESTIONS, n_trials=1, llm=CallableLLM(str, name="m"),
                   root=tmp_path, cache_path=path, progress=False)


def test_the_cli_names_an_unreadable_cache(tmp_path, monkeypatch, capsys):
    from agents.cli import main

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "xdg" / "reinagent").mkdir(parents=True)
    (tmp_path / "xdg" / "reinagent" / "responses.sqlite").write_bytes(b"not a database" * 100)
    with FakeOpenAIServer(lambda p: " Easy.\nAction: Finish[4]") as server:
        code = main(["run", "--agent", "cot_no_context", "--questions", "1", "--trials", "1", "--llm",
                     "openai-compatible:scripted", "--base-url", server.base_url, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and "responses.sqlite is unreadable" in err and "--no-cache" in err
    assert "Traceback" not in err


def _corrupt_pages(path, keep_pages: int = 1) -> None:
    """Overwrite every page after the first ``keep_pages`` (the header stays: the file opens)."""
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for at in range(keep_pages * page, len(data)):
        data[at] = (at * 131) % 251
    path.write_bytes(bytes(data))


def test_corrupt_pages_stop_the_run_naming_the_cache_instead_of_failing_every_attempt(tmp_path):
    cache = tmp_path / "c.sqlite"
    model = CallableLLM(lambda p: " Easy.\nAction: Finish[4]", name="four")
    first = run_trials("cot_no_context", QUESTIONS, n_trials=2, llm=model, root=tmp_path, run_name="a",
                       cache_path=cache, progress=False)
    _corrupt_pages(cache)
    again = run_trials("cot_no_context", QUESTIONS, n_trials=2, llm=model, root=tmp_path, run_name="b",
                       cache_path=cache, progress=False, concurrency=2)
    assert again.attrs["stopped"] == "cache unreadable"
    assert f"the response cache {cache} is unreadable" in again.attrs["stop_message"]
    assert "error" not in again or again.error.isna().all()     # no attempt failed for the cache's sake
    manifest = again.attrs["manifest"]
    assert manifest["stopped"] == "cache unreadable" and len(first)


def test_a_cache_that_cannot_be_written_warns_and_the_run_goes_on(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache's folder should be")
    model = CallableLLM(lambda p: " Easy.\nAction: Finish[4]", name="four")
    with pytest.warns(CacheWarning, match=r"cannot write the response cache .* goes on without storing"):
        frame = run_trials("cot_no_context", QUESTIONS, n_trials=2, llm=model, root=tmp_path,
                           run_name="nocache", cache_path=blocker / "c.sqlite", progress=False)
    assert len(frame) and frame.error.isna().all()


def test_a_full_disk_under_the_cache_warns_once_and_serves_what_it_has(tmp_path, monkeypatch):
    cache = ResponseCache(tmp_path / "c.sqlite")
    model = CachedLLM(CallableLLM(lambda p: "x", name="m"), cache)
    model.complete("kept")

    class FullDisk:
        def __init__(self, db):
            self.db = db

        def execute(self, sql, *args):
            if sql.startswith("INSERT"):
                raise sqlite3.OperationalError("database or disk is full")
            return self.db.execute(sql, *args)

    monkeypatch.setattr(cache, "_db", FullDisk(cache._db))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        replies = [model.complete(f"new {k}") for k in range(3)]
    assert [r.text for r in replies] == ["x"] * 3 and not cache.writable
    assert sum(issubclass(w.category, CacheWarning) for w in caught) == 1
    assert model.complete("kept").from_cache


# -- issue 18 item 12: sampling that really samples ---------------------------------------------------
class Sampler(LLM):
    """A model whose reply is drawn by the seed of its draw (temperature > 0), or greedy."""

    backend = "scripted-sampler"

    def __init__(self, temperature: float):
        self.name, self.temperature = "sampler", temperature
        self.draws: list[str | None] = []

    def _generate(self, prompt, stop, max_tokens, draw=None):
        self.draws.append(draw)
        if self.temperature == 0 or draw is None:
            return Completion(" I think.\nAction: Finish[7]", 10, 5)
        from agents.llm.base import draw_seed

        return Completion(f" I think.\nAction: Finish[{draw_seed(0, draw) % 1000}]", 10, 5)


def test_at_temperature_above_zero_each_trial_re_samples_and_a_re_run_replays(tmp_path):
    cache = tmp_path / "c.sqlite"
    model = Sampler(0.8)
    first = run_trials("cot_no_context", QUESTIONS, strategy="none", n_trials=3, llm=model,
                       root=tmp_path, run_name="hot", cache_path=cache, progress=False)
    answers = first.groupby("sample_id").answer.nunique()
    assert (answers == 3).all(), first[["sample_id", "trial", "answer"]]      # every trial its own draw
    assert first.cache_hits.sum() == 0
    assert sorted(model.draws) == sorted(f"{q['id']}/{t}/0" for q in QUESTIONS for t in (1, 2, 3))
    again = run_trials("cot_no_context", QUESTIONS, strategy="none", n_trials=3, llm=Sampler(0.8),
                       root=tmp_path, run_name="hot-again", cache_path=cache, progress=False)
    counters = again.attrs["manifest"]["counters"]
    assert counters["llm_calls"] == 0 and counters["cache_hits"] == len(first)
    assert comparable(first) == comparable(again)


def test_at_temperature_zero_nothing_changes(tmp_path):
    cache = tmp_path / "c.sqlite"
    frame = run_trials("cot_no_context", QUESTIONS, strategy="none", n_trials=3, llm=Sampler(0.0),
                       root=tmp_path, run_name="greedy", cache_path=cache, progress=False)
    assert (frame.groupby("sample_id").answer.nunique() == 1).all()
    assert frame[frame.trial > 1].cache_hits.eq(1).all()            # the same call, served again


def test_the_embedded_model_samples_each_draw_with_its_own_seed():
    pytest.importorskip("llama_cpp")
    model = make_llm("local", temperature=1.0, max_tokens=12)
    prompt = "Question: Name a colour.\nAnswer:"
    texts = {draw: model.complete(prompt, draw=draw).text for draw in (f"q/{t}/0" for t in range(1, 6))}
    assert len(set(texts.values())) > 1, texts                       # re-sampled
    assert model.complete(prompt, draw="q/1/0").text == texts["q/1/0"]   # the same draw, the same reply


def test_run_takes_temperature_into_the_manifest_and_the_run_name(tmp_path, monkeypatch, capsys):
    from agents.cli import main

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    argv_tail = ["--agent", "cot_no_context", "--strategy", "none", "--questions", "3", "--trials", "2",
                 "--temperature", "0.8", "--out", str(tmp_path)]
    with FakeOpenAIServer(lambda p: " Hmm.\nAction: Finish[nope]") as server:
        argv = ["run", "--llm", "openai-compatible:scripted", "--base-url", server.base_url, *argv_tail]
        assert main(argv) == 0
        served = server.served
        assert served == 6                            # trial 2 asked again: a new draw, not a cache hit
        assert main(argv) == 0 and server.served == served       # the same command: 0 calls
    (run_dir,) = (tmp_path / "cot_no_context").glob("*/*")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert run_dir.name.endswith("-temp0.8")
    assert manifest["decoding"]["temperature"] == 0.8 and manifest["config"]["model"]["temperature"] == 0.8
    with pytest.raises(SystemExit):
        main(["run", "--temperature", "-1"])
    capsys.readouterr()
