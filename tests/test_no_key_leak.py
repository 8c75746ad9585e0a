"""R5: the API key is used (the server sees it) and written nowhere: not in the run folder, not in
the response cache, not in the manifest's environment or versions, not in an error record.
"""
import pytest

from agents.testing.fake_server import FakeOpenAIServer, FaultPlan, scripted_brain

pytest.importorskip("openai")

SENTINEL = "sk-test-SENTINEL-1234567890"
NEEDLES = [SENTINEL.encode(), SENTINEL[-8:].encode(), b"SENTINEL"]


def files_under(*roots):
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                yield path


def test_the_key_is_sent_but_never_written(sample, tmp_path, monkeypatch):
    from agents.llm import make_llm
    from agents.engine.runner import run_trials

    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    cache_home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    records = sample.head(6)
    victim = records.question.iloc[0]
    # one question is rejected with a 400 (an error record), one reply in five is a retried fault
    plan = FaultPlan(rate=0.2, seed=3, kinds=("429", "500", "malformed"),
                     reject=lambda prompt: f"Question: {victim}" in prompt)
    with FakeOpenAIServer(scripted_brain(records), faults=plan, api_key=SENTINEL) as server:
        model = make_llm("openai-compatible:scripted", base_url=server.base_url, timeout=5,
                         backoff_base=0.005, backoff_cap=0.02)      # the key comes from the env
        frame = run_trials("react", records, strategy="reinagent", n_trials=2, llm=model,
                           root=tmp_path / "root", run_name="keyed", concurrency=3, progress=False)
        # a second run in a new folder is served from the cache: the cache was really written
        again = run_trials("react", records, strategy="reinagent", n_trials=2, llm=model,
                           root=tmp_path / "root", run_name="keyed-again", progress=False)
        seen = server.authorization
    assert seen[f"Bearer {SENTINEL}"] >= len(frame) and set(seen) == {f"Bearer {SENTINEL}"}, \
        "the server must have received the key on every request"
    assert frame.error.notna().sum() == 1 and again.cache_hits.sum() > 0
    assert server.stats()["faulted"] > 1

    written = list(files_under(tmp_path / "root", cache_home))
    names = {path.name for path in written}
    assert {"attempts.jsonl", "manifest.json", "summary.csv", "log.txt"} <= names
    assert any(name.endswith(".sqlite") for name in names), names
    for path in written:
        data = path.read_bytes()
        for needle in NEEDLES:
            assert needle not in data, f"{path} contains {needle!r}"
    # nor in what a notebook would display
    for text in (repr(model), str(model.identity()), frame.to_csv(), str(frame.attrs)):
        assert "SENTINEL" not in text and SENTINEL[-8:] not in text
