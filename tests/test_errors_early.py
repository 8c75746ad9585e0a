"""R4: a bad configuration fails with a clear error before the first model call.

Each case runs against a counting loopback server (or a closed port) and checks both that the
message says what is wrong and that nothing happened: no completion request reached the server,
no run folder or attempts file was written.
"""
import socket

import pytest

from agents.testing.fake_server import FakeOpenAIServer, scripted_brain

pytest.importorskip("openai")


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(sample):
    with FakeOpenAIServer(scripted_brain(sample.head(3))) as running:
        yield running


def remote(server_or_url, **options):
    from agents.llm import make_llm
    base_url = server_or_url if isinstance(server_or_url, str) else server_or_url.base_url
    return make_llm("openai-compatible:scripted", base_url=base_url, api_key="sk-test",
                    timeout=2, max_retries=1, backoff_base=0.01, backoff_cap=0.02, **options)


def nothing_written(root):
    return not root.exists() or not any(root.rglob("*"))


@pytest.mark.parametrize("bad, message", [
    (dict(agent="reflexion"), "unknown agent 'reflexion'"),
    (dict(strategy="sometimes"), "unknown strategy"),
    (dict(n_trials=0), "n_trials must be a positive integer"),
    (dict(n_trials=-2), "n_trials must be a positive integer"),
    (dict(n_trials=1.5), "n_trials must be a positive integer"),
    (dict(llm="gpt-4"), "unknown model spec 'gpt-4'"),
    (dict(llm="openai"), "unknown model spec"),
    (dict(concurrency=0), "concurrency must be a positive integer"),
])
def test_bad_arguments_fail_before_the_first_call(server, sample, tmp_path, bad, message):
    from agents.engine.runner import run_trials
    options = dict(agent="react", strategy="reinagent", n_trials=2, llm=remote(server))
    options.update(bad)
    with pytest.raises(ValueError, match=message):
        run_trials(options.pop("agent"), sample.head(3), root=tmp_path / "root", progress=False, **options)
    assert server.completions == 0 and nothing_written(tmp_path / "root")


def test_missing_openai_key_fails_before_any_attempt(sample, tmp_path, monkeypatch):
    from agents.llm import LLMCallError, make_llm
    from agents.engine.runner import run_trials
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = make_llm("openai:gpt-4o-mini")            # building it needs no key (a dry run prices it)
    with pytest.raises(LLMCallError, match="openai:gpt-4o-mini needs an OpenAI API key: set OPENAI_API_KEY"):
        run_trials("cot_context", sample.head(3), n_trials=1, llm=model,
                   root=tmp_path / "root", progress=False)
    assert nothing_written(tmp_path / "root")


def test_unknown_model_name_fails_before_any_attempt(server, sample, tmp_path):
    from agents.llm import LLMCallError, make_llm
    from agents.engine.runner import run_trials
    model = make_llm("openai-compatible:gemma", base_url=server.base_url, timeout=2, max_retries=1)
    with pytest.raises(LLMCallError, match=r"does not serve model 'gemma'; it serves: 'scripted'"):
        run_trials("react", sample.head(3), n_trials=1, llm=model, root=tmp_path / "root", progress=False)
    assert server.completions == 0 and nothing_written(tmp_path / "root")


def test_unreachable_base_url_fails_before_any_attempt(sample, tmp_path):
    import time
    from agents.llm import LLMCallError
    from agents.engine.runner import run_trials
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    started = time.perf_counter()
    with pytest.raises(LLMCallError, match=r"cannot reach http://127\.0\.0\.1:\d+/v1: connection refused"):
        run_trials("react", sample.head(3), n_trials=2, llm=remote(url), root=tmp_path / "root",
                   progress=False)
    assert time.perf_counter() - started < 10, "a refused connection must fail fast, not after retries"
    assert nothing_written(tmp_path / "root")


def test_wrong_key_fails_before_any_attempt(sample, tmp_path):
    from agents.llm import LLMCallError, make_llm
    from agents.engine.runner import run_trials
    with FakeOpenAIServer(scripted_brain(sample.head(3)), api_key="sk-right") as guarded:
        model = make_llm("openai-compatible:scripted", base_url=guarded.base_url, api_key="sk-wrong",
                         timeout=2, max_retries=3)
        with pytest.raises(LLMCallError, match="refused the API key: HTTP 401"):
            run_trials("react", sample.head(3), n_trials=1, llm=model, root=tmp_path / "root",
                       progress=False)
        assert guarded.completions == 0 and guarded.requests == 1     # one GET /models, not retried
    assert nothing_written(tmp_path / "root")
    # the wrong key is in no message we wrote
    assert "sk-wrong" not in repr(model) and "sk-wrong" not in str(model.identity())


# -- the command line -----------------------------------------------------------------------------

def cli(capsys, *argv):
    from agents.cli import main
    try:
        status = main(list(argv))
    except SystemExit as exit_:      # argparse errors
        status = exit_.code
    return status, capsys.readouterr().err


@pytest.fixture
def cli_available():
    pytest.importorskip("agents.cli", reason="the command line is not written yet")


def test_cli_unreachable_server(cli_available, sample_path, tmp_path, capsys):
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    status, err = cli(capsys, "run", "--agent", "react", "--llm", "openai-compatible:scripted",
                      "--base-url", url, "--questions", "2", "--trials", "1", "--data", str(sample_path),
                      "--out", str(tmp_path / "out"))
    assert status == 1 and "cannot reach" in err and "Traceback" not in err
    assert nothing_written(tmp_path / "out")


@pytest.mark.parametrize("argv, message", [
    (["--trials", "0"], "--trials"),
    (["--llm", "gpt-4"], "unknown model spec"),
    (["--agent", "reflexion"], "--agent"),
    (["--strategy", "sometimes"], "--strategy"),
])
def test_cli_bad_arguments(cli_available, sample_path, tmp_path, capsys, argv, message):
    base = {"--agent": "react", "--llm": "openai-compatible:scripted", "--trials": "1"}
    options = dict(base)
    options.update(dict(zip(argv[::2], argv[1::2])))
    args = ["run", "--questions", "2", "--data", str(sample_path), "--out", str(tmp_path / "out")]
    for flag, value in options.items():
        args += [flag, value]
    if options["--llm"].startswith("openai-compatible"):
        args += ["--base-url", f"http://127.0.0.1:{_closed_port()}/v1"]
    status, err = cli(capsys, *args)
    assert status not in (0, None) and message in err
    assert nothing_written(tmp_path / "out")


def test_cli_missing_openai_key(cli_available, sample_path, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    status, err = cli(capsys, "run", "--agent", "cot_context", "--llm", "openai:gpt-4o-mini", "--questions", "2",
                      "--trials", "1", "--data", str(sample_path), "--out", str(tmp_path / "out"))
    assert status == 1 and "set OPENAI_API_KEY" in err and "api_key=" not in err
    assert nothing_written(tmp_path / "out")


def test_cli_dry_run_needs_no_key_and_no_network(cli_available, sample_path, tmp_path):
    """The command a user types to price a run, in a fresh process without OPENAI_API_KEY."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env.update(HOTPOTQA_PATH=str(sample_path), HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
    out = subprocess.run([sys.executable, "-m", "agents", "run", "--agent", "react", "--llm", "openai:gpt-4o",
                          "--dry-run", "--questions", "3", "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=120, env=env,
                         cwd=str(Path(__file__).resolve().parent.parent))
    assert out.returncode == 0, out.stderr[-2000:]
    assert "gpt-4o" in out.stdout and nothing_written(tmp_path / "out")
