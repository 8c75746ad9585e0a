"""``python -m agents serve``: its argument checks in-process, then the real thing as a subprocess
(llama.cpp's server on the embedded model), driven through the kit's ``openai-compatible`` backend.

Every wait is bounded, and the server's whole process group is killed at the end whatever happened.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from agents.serve import add_parser

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 180   # loading the model on a busy 2-core machine
STOP_TIMEOUT_S = 20


def _serve_parser() -> argparse.ArgumentParser:
    commands = argparse.ArgumentParser(prog="python -m agents").add_subparsers()
    return add_parser(commands)


def _handle(argv: list[str], capsys) -> tuple[int, str]:
    parser = _serve_parser()
    try:
        args = parser.parse_args(argv)
        status = args.handler(args, parser)
    except SystemExit as exit_:   # parser.error
        status = exit_.code
    return status, capsys.readouterr().err


# -- argument checks: nothing is loaded -------------------------------------------------------------
def test_defaults_fit_the_kit():
    args = _serve_parser().parse_args([])
    assert (args.host, args.port, args.n_ctx, args.allow_remote) == ("127.0.0.1", 8080, 8192, False)
    assert args.handler.__name__ == "serve"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.org"])
def test_a_remote_host_is_refused_without_allow_remote(host, capsys):
    status, err = _handle(["--host", host, "--port", "0"], capsys)
    assert status == 2 and "--allow-remote" in err and "no API key" in err


def test_a_missing_model_file_is_an_argument_error(tmp_path, capsys):
    status, err = _handle(["--model", str(tmp_path / "nope.gguf"), "--port", "0"], capsys)
    assert status == 2 and "--model: no such file" in err and "nope.gguf" in err


@pytest.mark.parametrize("argv, message", [(["--n-ctx", "100"], "at least 512"),
                                           (["--port", "70000"], "0-65535")])
def test_bad_values_are_argument_errors(argv, message, capsys):
    status, err = _handle(argv, capsys)
    assert status == 2 and message in err


def test_the_cli_offers_serve(capsys):
    from agents.cli import build_parser
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--help"])
    assert "--n-ctx" in capsys.readouterr().out


# -- the real server --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServeProcess:
    """``python -m agents serve`` in its own process group; ``lines`` collects what it prints."""

    def __init__(self, *argv: str):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.command = [sys.executable, "-m", "agents", "serve", "--port", str(self.port),
                        "--threads", str(min(2, os.cpu_count() or 1)), *argv]
        self.lines: list[str] = []
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "ServeProcess":
        self.process = subprocess.Popen(self.command, cwd=REPO, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)   # its own group: killed as one
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self._wait_until_serving()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited early ({self.process.returncode}):\n" + self.output)
            try:
                with urllib.request.urlopen(self.base_url + "/models", timeout=2) as reply:
                    if reply.status == 200 and json.load(reply).get("data"):
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.5)
        raise AssertionError(f"serve did not answer {self.base_url}/models within "
                             f"{STARTUP_TIMEOUT_S} s:\n{self.output}")

    @property
    def output(self) -> str:
        return "\n".join(self.lines)[-3000:]

    def interrupt(self) -> int:
        """Ctrl-C, as a user would; the exit status (bounded wait)."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=STOP_TIMEOUT_S)

    def __exit__(self, *exc) -> None:
        """Kill the whole group (the server and anything it started) unless it has stopped.

        Only while the leader is not yet reaped: after that its id may belong to someone else.
        """
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:  # exited meanwhile
                pass
        self.process.wait(timeout=STOP_TIMEOUT_S)


needs_server = pytest.mark.skipif(
    not all(importlib.util.find_spec(name) for name in ("llama_cpp", "uvicorn", "fastapi")),
    reason="serve needs llama-cpp-python[server] (requirements.txt)")


@needs_server
def test_a_busy_port_fails_before_loading_the_model(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status, err = _handle(["--port", str(port)], capsys)
    assert status == 1
    assert err.strip() == (f"error: cannot listen on 127.0.0.1:{port} (Address already in use): "
                           "pass another --port (0 picks a free one)")


@needs_server
def test_serve_the_embedded_model_and_use_it_through_the_kit():
    from agents.llm import LLMCallError, make_llm

    with ServeProcess() as server:
        with urllib.request.urlopen(server.base_url + "/models", timeout=5) as reply:
            assert [m["id"] for m in json.load(reply)["data"]] == ["gemma-3-270m"]
        printed = server.output
        assert f"serving gemma-3-270m at {server.base_url}" in printed
        assert (f"python -m agents run --agent react --questions 5 --trials 2 --llm openai-compatible:gemma-3-270m "
                f"--base-url {server.base_url}") in printed

        llm = make_llm("openai-compatible:gemma-3-270m", base_url=server.base_url, timeout=60,
                       max_retries=1, max_tokens=8)
        assert llm.endpoint == "completions"
        llm.check_reachable()
        reply = llm.complete("Question: What is the capital of France?\nAnswer:", stop=["\n"])
        assert isinstance(reply.text, str) and "\n" not in reply.text
        assert reply.input_tokens > 5 and 0 < reply.output_tokens <= 8   # the server's own usage

        wrong = make_llm("openai-compatible:gemma", base_url=server.base_url)
        with pytest.raises(LLMCallError, match=r"does not serve model 'gemma'; it serves: 'gemma-3-270m'"):
            wrong.check_reachable()

        assert server.interrupt() == 0, server.output
        assert server.lines[-1] == "stopped"
