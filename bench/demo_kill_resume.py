"""Run, kill, resume — on the embedded model, through the command line.

Starts ``python -m agents run`` (CoT with context, REINAGENT) in a subprocess, SIGKILLs it once a
few attempts are on disk, runs the very same command again, and prints what each manifest says.
The resumed run loads the finished attempts instead of re-running them, and the calls of the
attempts that were in flight when the process died come back from the response cache.

    python bench/demo_kill_resume.py [--questions 6] [--trials 2] [--kill-after 3]

Last line: ``RESULT kill_resume_rerun_attempts <attempts run twice>`` (0 is right).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=6)
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--kill-after", type=int, default=3, help="attempts on disk before the kill")
    args = parser.parse_args()

    out = Path(tempfile.mkdtemp(prefix="kill-resume-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(out / "cache"), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "agents", "run", "--agent", "cot_context", "--strategy", "reinagent",
               "--questions", str(args.questions), "--trials", str(args.trials), "--llm", "local",
               "--out", str(out / "root"), "--run-name", "demo"]
    run_dir = out / "root" / "cot_context" / "reinagent" / "demo"
    attempts = run_dir / "attempts.jsonl"

    started = time.perf_counter()
    victim = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while victim.poll() is None and (not attempts.exists() or
                                     len(attempts.read_text().splitlines()) < args.kill_after):
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    before = [json.loads(line) for line in attempts.read_text().splitlines() if line.strip()]
    killed_at = time.perf_counter() - started
    counters = json.loads((run_dir / "manifest.json").read_text())["counters"]
    print(f"run 1: killed with SIGKILL after {killed_at:.1f} s, {len(before)} attempts on disk; "
          f"manifest counters then: {counters}")

    started = time.perf_counter()
    resumed = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    print(f"run 2 (same command, resumes): exit {resumed.returncode}, {time.perf_counter() - started:.1f} s")
    print(resumed.stdout.strip())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    after = [json.loads(line) for line in attempts.read_text().splitlines() if line.strip()]
    keys = [(r["sample_id"], r["trial"]) for r in after]
    rerun = len(keys) - len(set(keys))
    print(f"attempts on disk: {len(after)} ({len(before)} before the kill); attempts run twice: {rerun}")
    print(f"manifest sessions: {manifest['sessions']}; counters: {json.dumps(manifest['counters'])}")
    print(f"run folder: {run_dir}")
    print(f"RESULT kill_resume_rerun_attempts {rerun}")


if __name__ == "__main__":
    main()
