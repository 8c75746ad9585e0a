"""The benchmarks run in CI at their reduced size: each must finish and print its RESULT line.

Timings are reported, never asserted: the figures belong in the notes, not in pass/fail tests.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("bench_*.py"))


def test_every_bench_is_listed_in_its_readme():
    readme = (BENCH / "README.md").read_text()
    assert SCRIPTS and all(name in readme for name in SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_bench_runs_at_ci_size_and_prints_its_result(script):
    if script in ("bench_p4_kv_share.py", "bench_local_kv.py"):
        pytest.importorskip("llama_cpp", reason="needs the embedded model")
    env = {**os.environ, "BENCH_SMALL": "1", "PYTHONPATH": str(BENCH.parent)}
    done = subprocess.run([sys.executable, str(BENCH / script)], env=env, capture_output=True,
                          text=True, timeout=600, cwd=BENCH.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"RESULT [a-z0-9_]+ -?[0-9.]+(e-?\d+)?( of \d+)?", last), last   # "K of N": a count
    print(done.stdout)  # shown with -s / in CI logs on failure
