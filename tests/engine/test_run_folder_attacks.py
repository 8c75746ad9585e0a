"""Attacks on a run folder (issue 16, items 1-4, 7): each reproduces what a fault-injection session
did to the run engine, on a scripted model, bounded in time and confined to a temporary folder."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from agents.engine.records import RunFolder, RunFolderLocked
from agents.engine.runner import ResumeRefused, run_trials
from agents.llm import CallableLLM

QUESTIONS = [{"id": f"q{i}", "question": f"{i}+{i}?", "answer": str(2 * i)} for i in range(6)]


def _always_four(prompt: str) -> str:
    return " Easy.\nAction: Finish[4]"


def _run(root, **options):
    model = CallableLLM(_always_four, name="always-four")
    return run_trials("cot_no_context", QUESTIONS, strategy="reinagent", n_trials=3, llm=model,
                      root=root, run_name="attack", cache=False, progress=False, **options)


def _folder(root) -> RunFolder:
    return RunFolder(root / "cot_no_context" / "reinagent" / "attack")


def test_a_second_process_on_the_same_run_is_refused_naming_the_holder(tmp_path):
    folder = _folder(tmp_path)
    folder.lock()
    try:
        # A real second process, as the attack did: the lock is an OS lock, not a flag in memory.
        code = textwrap.dedent(f"""
            import sys
            from agents.engine.records import RunFolder, RunFolderLocked
            try:
                RunFolder({str(folder.path)!r}).lock()
            except RunFolderLocked as error:
                print(error); sys.exit(3)
        """)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert done.returncode == 3, done.stderr
        assert "in use by pid" in done.stdout and str(folder.path) in done.stdout
        with pytest.raises(RunFolderLocked):
            _run(tmp_path)
    finally:
        folder.close()
    frame = _run(tmp_path)              # released: the run goes ahead
    assert len(frame) and not list(folder.path.glob("*.tmp"))


def test_a_last_line_that_lacks_only_its_newline_is_kept(tmp_path):
    _run(tmp_path)
    folder = _folder(tmp_path)
    raw = folder.attempts_path.read_bytes()
    rows = raw.count(b"\n")
    folder.attempts_path.write_bytes(raw[:-1])          # truncate -s -1
    frame = _run(tmp_path, )
    history = folder.load(final=False)
    assert len(history) == rows == len(frame)
    assert folder.attempts_path.read_bytes().endswith(b"\n")


def test_a_tail_cut_inside_a_utf8_character_is_a_torn_line_not_a_fatal_error(tmp_path):
    _run(tmp_path)
    folder = _folder(tmp_path)
    raw = folder.attempts_path.read_bytes()
    torn = json.dumps({"sample_id": "q0", "trial": 9, "input": "caf\u00e9 \u2014 x"},
                      ensure_ascii=False).encode()
    cut = torn.index("\u2014".encode()) + 1              # inside the 3-byte dash
    folder.attempts_path.write_bytes(raw + torn[:cut])
    with pytest.warns(UserWarning, match="torn last line"):
        records = folder.load(final=False)
    assert len(records) == raw.count(b"\n")
    _run(tmp_path)                                          # resumes, repairing the tail on bytes
    assert folder.attempts_path.read_bytes() == raw


@pytest.mark.parametrize("junk", ["[1, 2]", "{}", '{"sample_id": "q0", "trial": "one"}', "\xff\xfe"])
def test_a_junk_line_is_an_error_naming_the_file_and_line(tmp_path, junk):
    _run(tmp_path)
    folder = _folder(tmp_path)
    raw = folder.attempts_path.read_bytes()
    data = junk.encode("latin-1") if junk.startswith("\xff") else junk.encode()
    folder.attempts_path.write_bytes(data + b"\n" + raw)
    with pytest.raises(ValueError, match=r"attempts\.jsonl line 1"):
        folder.load()


@pytest.mark.parametrize("manifest", [None, "null", '{"config": {"task"'])
def test_no_readable_manifest_no_append(tmp_path, manifest):
    _run(tmp_path)
    folder = _folder(tmp_path)
    if manifest is None:
        folder.manifest_path.unlink()
    else:
        folder.manifest_path.write_text(manifest)
    before = folder.attempts_path.read_bytes()
    with pytest.raises((ResumeRefused, ValueError), match="manifest"):
        _run(tmp_path, max_reflections=1)
    assert folder.attempts_path.read_bytes() == before
    if manifest is not None:
        assert folder.manifest_path.read_text() == manifest   # a refused resume rewrites nothing


def test_a_refused_resume_does_not_rewrite_the_manifest(tmp_path):
    _run(tmp_path)
    folder = _folder(tmp_path)
    before = folder.manifest_path.read_bytes()
    with pytest.raises(ResumeRefused):
        _run(tmp_path, template="{question}{scratchpad}{memory}{examples} other prompt")
    assert folder.manifest_path.read_bytes() == before


@pytest.mark.parametrize("name", ["../../x", "/tmp/elsewhere", "a/b", "..", ""])
def test_a_run_name_cannot_leave_the_results_root(tmp_path, name):
    model = CallableLLM(_always_four, name="always-four")
    with pytest.raises(ValueError, match="plain folder name"):
        run_trials("cot_no_context", QUESTIONS, n_trials=1, llm=model, root=tmp_path / "root",
                   run_name=name or " ", cache=False, progress=False)
    assert not (tmp_path / "x").exists() and not list(tmp_path.glob("*")) or \
        all(p.name == "root" for p in tmp_path.iterdir())


@pytest.mark.parametrize("value", ["4", 0, 2.5, True])
def test_concurrency_that_is_not_a_positive_integer_is_refused_with_a_message(tmp_path, value):
    with pytest.raises(ValueError, match="concurrency must be a positive integer"):
        _run(tmp_path, concurrency=value)


def test_without_a_manifest_the_user_may_say_the_records_are_this_runs(tmp_path):
    _run(tmp_path)
    folder = _folder(tmp_path)
    folder.manifest_path.unlink()
    before = folder.attempts_path.read_bytes()
    with pytest.warns(UserWarning, match="without a manifest: its attempts are taken as made"):
        frame = _run(tmp_path, resume_without_manifest=True)
    assert folder.attempts_path.read_bytes() == before and len(frame) == before.count(b"\n")
    assert folder.read_manifest()["config"]["task"] == "hotpotqa"


def test_a_manifest_whose_config_is_not_an_object_is_named(tmp_path):
    _run(tmp_path)
    folder = _folder(tmp_path)
    folder.manifest_path.write_text('{"config": [1, 2]}')
    with pytest.raises(ValueError, match=r"manifest\.json: 'config' is not an object"):
        _run(tmp_path)


def test_a_server_of_empty_replies_gets_a_warning(tmp_path):
    from agents.engine.runner import EmptyReplies

    model = CallableLLM(lambda prompt: "", name="silent")
    with pytest.warns(EmptyReplies, match=r"all \d+ replies of silent so far are empty: check the endpoint"):
        frame = run_trials("cot_no_context", QUESTIONS, n_trials=2, llm=model, root=tmp_path,
                           run_name="silent", cache=False, progress=False)
    assert frame.attrs["manifest"]["counters"]["empty_replies"] >= 5


def test_a_model_function_that_answers_a_number_is_an_error_that_says_so(tmp_path):
    frame = run_trials("cot_no_context", QUESTIONS[:1], n_trials=1, llm=CallableLLM(lambda p: 42, name="n"),
                       root=tmp_path, run_name="n", cache=False, progress=False)
    assert frame.error.tolist() == ["LLMCallError: n replied with int 42, not text: a model must answer a string"]


def test_status_lines_go_to_stdout_in_a_notebook(monkeypatch, capsys):
    """Issue 21 item 14: in JupyterLab, stderr is drawn as a pink error box; the "resuming ..."
    line is not an error."""
    import sys

    from agents.engine import runner

    class OutStream:   # what ipykernel puts in sys.stdout
        def __init__(self, inner):
            self.inner = inner

        def write(self, text):
            return self.inner.write(text)

        def flush(self):
            self.inner.flush()

    OutStream.__module__ = "ipykernel.iostream"
    monkeypatch.setattr(sys, "stdout", OutStream(sys.stdout))
    runner._say(True, "resuming demo: 3 attempts recorded")
    captured = capsys.readouterr()
    assert "resuming demo" in captured.out and "resuming demo" not in captured.err
