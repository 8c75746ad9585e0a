"""The real thing: ``llama-cpp-python[server]`` serving the embedded model on loopback, and the kit's
``openai-compatible`` backend completing a HotPotQA attempt against it (issue 5, item 2).
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("llama_cpp", reason="the embedded model needs llama-cpp-python (requirements.txt)")
pytest.importorskip("llama_cpp.server", reason="the server needs llama-cpp-python[server]")

STARTUP_TIMEOUT_S = 120
MODEL_ALIAS = "gemma-3-270m"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(base_url: str, server: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited early with code {server.returncode}")
        try:
            with urllib.request.urlopen(base_url + "/models", timeout=2) as reply:
                if reply.status == 200 and json.load(reply).get("data"):
                    return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"llama_cpp.server did not answer {base_url}/models within {timeout_s} s")


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    from agents.llm_local import default_model_path

    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
               "--model_alias", MODEL_ALIAS, "--host", "127.0.0.1", "--port", str(port),
               "--n_ctx", "8192", "--n_threads", str(min(2, os.cpu_count() or 1)), "--verbose", "False"]
    with open(log, "wb") as sink:
        server = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        try:
            _wait_until_serving(base_url, server, STARTUP_TIMEOUT_S)
        except (RuntimeError, TimeoutError) as error:
            raise AssertionError(f"{error}\n--- server log ---\n{log.read_text(errors='replace')[-3000:]}")
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def test_cot_with_context_attempt_against_llama_cpp_server(llama_server, sample, tmp_path):
    from agents.llm import make_llm
    from agents.runner import run_trials

    llm = make_llm(f"openai-compatible:{MODEL_ALIAS}", base_url=llama_server, chat=False,
                   api_key="not-needed", timeout=120, max_tokens=96)
    question = sample.iloc[[22]]   # "What is Opry Mills in Nashville, Tennessee?"
    frame = run_trials("cot_context", question, strategy="reinagent", n_trials=1, llm=llm,
                       root=tmp_path / "root", run_name="llama-server", cache=False, progress=False)
    assert len(frame) == 1
    attempt = frame.iloc[0]
    assert attempt.error is None or attempt.error != attempt.error, attempt.error   # None or NaN
    assert isinstance(bool(attempt.correct), bool) and attempt.llm_calls >= 1
    assert attempt.input_tokens > 100 and attempt.output_tokens > 0   # usage from the server
    assert attempt.scratchpad.startswith("Thought:")
    assert os.path.exists(os.path.join(frame.attrs["run_dir"], "attempts.jsonl"))
