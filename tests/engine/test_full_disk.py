"""A full disk (issue 16 items 6 and 12): on a small tmpfs (root only; skipped otherwise, with the
reason), the disk fills in the middle of a run. Under the run folder: the run stops at once (no
queue drained after the failure), no half line is left, and once space is freed the same call
resumes to the records of an uninterrupted run. Under the response cache: a warning, and the run
goes on uncached with no attempt failed."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import threading

import pytest

from agents.engine.records import RunFolder
from agents.engine.runner import run_trials
from agents.llm.cache import CacheWarning
from agents.testing.compare import comparable
from agents.testing.scripted import ScriptedHotpotModel


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs mounted under ``tmp_path``."""
    if os.geteuid() != 0:
        pytest.skip("a full disk is simulated with a small tmpfs, which needs root to mount")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True, timeout=30)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=30)


def _fill(disk) -> None:
    """Write a filler until the disk is full."""
    with open(disk / "filler", "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC


class FillsTheDisk(ScriptedHotpotModel):
    """The scripted model, which fills ``disk`` at its ``at``-th call (counting every later one)."""

    def _generate(self, prompt, stop, max_tokens):
        with self.lock:
            self.calls += 1
            if self.calls == self.at:
                _fill(self.disk)
        return super()._generate(prompt, stop, max_tokens)


def _model(questions, disk, at):
    model = FillsTheDisk.from_records(questions)
    model.lock, model.calls, model.disk, model.at = threading.Lock(), 0, disk, at
    return model


def test_a_full_disk_under_the_run_folder_stops_at_once_and_the_run_resumes_whole(sample, small_disk, tmp_path):
    questions = sample.head(16)
    model = _model(questions, small_disk, at=25)
    with pytest.raises(OSError, match=r"cannot write .*attempts\.jsonl: No space left on device; free space"
                                      r".* run the same command to resume") as caught:
        run_trials("react", questions, n_trials=3, llm=model, concurrency=4, root=small_disk,
                   run_name="full", cache=False, progress=False)
    assert caught.value.run_dir.endswith("full")
    calls_at_failure_bound = model.at + 4 * 8        # the attempts in flight, at most 8 calls each
    assert model.calls <= calls_at_failure_bound, f"{model.calls} calls: attempts kept starting"
    folder = RunFolder(caught.value.run_dir)
    raw = folder.attempts_path.read_bytes()
    assert raw.endswith(b"\n") and all(json.loads(line) for line in raw.splitlines())   # no half line
    (small_disk / "filler").unlink()                 # space again: the same call resumes
    resumed = run_trials("react", questions, n_trials=3, llm=ScriptedHotpotModel.from_records(questions),
                         concurrency=4, root=small_disk, run_name="full", cache=False, progress=False)
    clean = run_trials("react", questions, n_trials=3, llm=ScriptedHotpotModel.from_records(questions),
                       root=tmp_path / "elsewhere", run_name="clean", cache=False, progress=False)
    assert comparable(resumed) == comparable(clean)


def test_a_full_disk_under_the_cache_warns_and_no_attempt_fails(sample, small_disk, tmp_path):
    questions = sample.head(10)
    model = _model(questions, small_disk, at=12)
    with pytest.warns(CacheWarning, match=r"cannot write the response cache .*(full|space)"):
        frame = run_trials("react", questions, n_trials=2, llm=model, root=tmp_path, run_name="c",
                           cache_path=small_disk / "cache.sqlite", progress=False)
    assert frame.error.isna().all(), frame.error.dropna().tolist()
    clean = run_trials("react", questions, n_trials=2, llm=ScriptedHotpotModel.from_records(questions),
                       root=tmp_path, run_name="clean", cache=False, progress=False)
    assert comparable(frame) == comparable(clean)
