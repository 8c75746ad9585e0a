"""The embedded model for real (Gemma 3 270M through llama.cpp): a few calls, loaded once."""
from __future__ import annotations

import threading

import pytest

pytest.importorskip("llama_cpp", reason="the embedded model needs llama-cpp-python (requirements.txt)")

from agents.llm import make_llm  # noqa: E402

FEWSHOT = "\n\n".join(
    f"Question: What is {a} plus {b}?\nThought: {a} plus {b} is {a + b}.\nAnswer: {a + b}"
    for a, b in [(2, 3), (10, 7), (21, 21), (5, 8), (13, 30), (40, 2), (6, 9), (100, 11), (3, 4), (8, 8),
                 (12, 12), (19, 1), (30, 5), (7, 70)])


@pytest.fixture(scope="module")
def llm():
    return make_llm("local")


def test_a_short_completion_with_stop(llm):
    reply = llm.complete("Question: What is the capital of France?\nAnswer:", stop=["\n"], max_tokens=16)
    assert "\n" not in reply.text and reply.text.strip()
    assert reply.input_tokens > 0 and reply.output_tokens > 0 and reply.latency_s > 0


def test_identity_and_name(llm):
    assert llm.backend == "local" and llm.name == "local:gemma-3-270m-q4_k_m.gguf"
    identity = llm.identity()
    assert identity["model_file"] == "gemma-3-270m-q4_k_m.gguf" and identity["model_size"] > 100_000_000
    assert "/" not in str(identity)  # no path: cache keys survive moving the repo
    assert llm.context_window == 8192


def test_count_tokens_matches_input_tokens(llm):
    prompt = "Question: Which magazine was started first, Arthur's Magazine or First for Women?\nThought:"
    reply = llm.complete(prompt, max_tokens=4)
    # input_tokens also counts the BOS token the model reads first
    assert reply.input_tokens == llm.count_tokens(prompt) + 1


def test_a_shared_prefix_is_not_evaluated_twice(llm):
    prefix_tokens = llm.count_tokens(FEWSHOT)
    assert prefix_tokens >= 300
    first = llm.complete(FEWSHOT + "\n\nQuestion: What is 1 plus 1?\n", stop=["\n"], max_tokens=8)
    second = llm.complete(FEWSHOT + "\n\nQuestion: What is 4 plus 50?\n", stop=["\n"], max_tokens=8)
    assert first.input_tokens > prefix_tokens
    assert second.cached_tokens >= prefix_tokens - 3
    assert second.cached_tokens < second.input_tokens  # the new question itself was evaluated


def test_a_prompt_too_long_for_the_context_is_refused(llm):
    with pytest.raises(ValueError, match=r"exceeds the context window of 8192 tokens"):
        llm.complete("word " * 9000, max_tokens=8)


def test_concurrent_callers_are_serialised(llm):
    replies, errors = {}, []

    def ask(n):
        try:
            replies[n] = llm.complete(f"Question: What is {n} plus {n}?\nAnswer:", stop=["\n"], max_tokens=8)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in (3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and set(replies) == {3, 4}
    assert all(reply.output_tokens > 0 for reply in replies.values())


def test_a_missing_model_file_is_named(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(FileNotFoundError, match="nope.gguf"):
        make_llm(f"local:{missing}")


def test_a_reply_does_not_depend_on_the_calls_before_it(llm):
    """Greedy replies are a function of the prompt: what a resumed run relies on."""
    first = "Question: which river flows through Cairo?\nThought: the Nile is long. " * 6
    other = "An entirely different prompt about reflections. " * 20
    fresh = llm.complete(first, max_tokens=12).text
    llm.complete(other, max_tokens=12)
    assert llm.complete(first, max_tokens=12).text == fresh


def test_saved_kv_states_restore_a_prefix_and_stay_small():
    llm = make_llm("local", kv_states_bytes=512 << 20)  # opt-in: see LocalLLM's kv_states_bytes
    acting = "Question: which river flows through Cairo?\n" + "Thought: the Nile is long. " * 40
    other = "An entirely different prompt about reflections. " * 30
    llm.complete(acting, max_tokens=4)
    llm.complete(other, max_tokens=4)                      # evicts the acting prefix from the live KV
    again = llm.complete(acting + "\nThought 2:", max_tokens=4)
    assert again.cached_tokens >= llm.count_tokens(acting) - 2   # restored from a saved state
    states = llm._llama.cache.cache_state.values()
    # a state holds the KV cells (a few MB), not a copy of the 512 MB logits table
    assert states and max(s.scores.nbytes for s in states) < 4 * 2**20
