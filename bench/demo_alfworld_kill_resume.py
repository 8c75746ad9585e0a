"""ALFWorld: run, kill -9, resume, replay from the cache, on the embedded model, through the command line.

Starts ``python -m agents run --task alfworld --strategy reinagent`` in a subprocess with a fresh
response cache, SIGKILLs it once ``--kill-after`` attempts are on disk, runs the very same command
again (it resumes: recorded attempts are loaded, the calls of the attempt in flight come back from the
cache), then runs it once more under another run name with the same cache: every call is a cache hit.

    python bench/demo_alfworld_kill_resume.py [--games 12] [--trials 3] [--kill-after 15] [--out DIR]
    python bench/demo_alfworld_kill_resume.py --compare-to RUN_DIR   # records equal to an uninterrupted run?

Last lines: ``RESULT alfworld_rerun_attempts <attempts run twice>`` (0 is right) and
``RESULT alfworld_replay_llm_calls <model calls of the replay>`` (0 is right).
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


def counters(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())["counters"]


def records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "attempts.jsonl").read_text().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--games", type=int, default=12)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--kill-after", type=int, default=15, help="attempts on disk before the kill")
    parser.add_argument("--llm", default="local")
    parser.add_argument("--out", help="folder for the runs and the cache (default: a new temp folder)")
    parser.add_argument("--compare-to", help="an uninterrupted run folder of the same command to compare records with")
    args = parser.parse_args()

    out = Path(args.out or tempfile.mkdtemp(prefix="alfworld-kill-resume-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(out / "cache"), "PYTHONPATH": str(REPO)}

    def command(name: str) -> list[str]:
        return [sys.executable, "-m", "agents", "run", "--task", "alfworld", "--strategy", "reinagent",
                "--games", str(args.games), "--trials", str(args.trials), "--llm", args.llm,
                "--out", str(out / "root"), "--run-name", name]

    run_dir = out / "root" / "react" / "reinagent" / "demo"
    attempts = run_dir / "attempts.jsonl"
    started = time.perf_counter()
    victim = subprocess.Popen(command("demo"), env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    while victim.poll() is None and (not attempts.exists() or
                                     len(attempts.read_text().splitlines()) < args.kill_after):
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    before = records(run_dir)
    print(f"run 1: SIGKILL after {time.perf_counter() - started:.1f} s with {len(before)} attempts on disk; "
          f"counters then: {counters(run_dir)}")

    started = time.perf_counter()
    resumed = subprocess.run(command("demo"), env=env, cwd=REPO, capture_output=True, text=True)
    print(f"run 2 (the same command: resumes): exit {resumed.returncode}, {time.perf_counter() - started:.1f} s")
    print(resumed.stdout.strip())
    after = records(run_dir)
    keys = [(r["sample_id"], r["trial"]) for r in after]
    rerun = len(keys) - len(set(keys))
    print(f"attempts on disk: {len(after)} ({len(before)} before the kill); run twice: {rerun}; "
          f"counters: {counters(run_dir)}")

    started = time.perf_counter()
    replay = subprocess.run(command("replay"), env=env, cwd=REPO, capture_output=True, text=True)
    replay_dir = run_dir.parent / "replay"
    print(f"run 3 (another run name, the same cache): exit {replay.returncode}, "
          f"{time.perf_counter() - started:.1f} s; counters: {counters(replay_dir)}")

    if args.compare_to:
        sys.path.insert(0, str(REPO))
        from agents.testing.compare import comparable

        same = comparable(records(Path(args.compare_to))) == comparable(after)
        print(f"records equal to the uninterrupted run {args.compare_to}: {same}")
    print(f"run folders: {run_dir} and {replay_dir}")
    print(f"RESULT alfworld_rerun_attempts {rerun}")
    print(f"RESULT alfworld_replay_llm_calls {counters(replay_dir)['llm_calls']}")


if __name__ == "__main__":
    main()
