"""S4: size. 10,000 HotPotQA-schema questions x 5 trials (ReAct + REINAGENT) on a zero-latency
in-process scripted model, cache off, so everything measured is the kit.

Three child processes (each phase's RSS is its own):

1. the whole run, uninterrupted: wall time, attempts, peak RSS (``ru_maxrss``) -> ``s4_peak_rss_mb``
   (goal <= 1,000 MB);
2. the same run in another folder, SIGKILLed once ``attempts.jsonl`` reaches ~60 % of the first
   run's size;
3. its resume: seconds from launching the process (interpreter, imports, reading the records,
   rebuilding every agent's memory) to its first new model call -> ``s4_first_call_s`` (goal
   <= 5 s); then the resumed folder's final records are compared with the uninterrupted run's.

The questions are written to a JSONL file and read back with ``load_hotpotqa``, as a user's own
10,000-question file would be: every question carries its own copy of its paragraphs.

    python bench/bench_s4_size.py              # 10,000 x 5 (~10 min on 2 busy cores)
    BENCH_SMALL=1 python bench/bench_s4_size.py  # 300 x 5 (CI)
"""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import SAMPLE, bench_parser  # puts the repo on sys.path too

CONCURRENCY = 4   # zero latency: more threads only share the same 2 cores


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(args) -> None:
    """One phase in this process: run (or resume) the folder, print one JSON line of figures."""
    from agents.engine.runner import run_trials
    from agents.llm.base import LLM
    from agents.tasks.hotpotqa.data import load_hotpotqa
    from agents.testing.scripted import ScriptedHotpotModel
    import pandas  # noqa: F401  (in the baseline: every run needs it)

    baseline = rss_mb()
    questions = load_hotpotqa(args.data)
    scripted = ScriptedHotpotModel.from_records(questions)
    first_call: list[float] = []

    class Timed(LLM):   # the scripted model, noting when the first call of this process came
        name, backend = scripted.name, scripted.backend

        def _generate(self, prompt, stop, max_tokens):
            if not first_call:
                first_call.append(time.time())
            return scripted._generate(prompt, stop, max_tokens)

    started = time.perf_counter()
    frame = run_trials("react", questions, strategy="reinagent", n_trials=args.trials, llm=Timed(),
                       root=args.root, run_name=args.run_name, concurrency=CONCURRENCY, cache=False,
                       progress=False)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall_s": wall, "attempts": len(frame), "errors": int(frame.error.notna().sum()),
                      "calls": int(frame.llm_calls.sum()), "resumed": frame.attrs["resumed"],
                      "baseline_mb": baseline, "peak_mb": peak,
                      "first_call_s": first_call[0] - args.t0 if first_call else None}), flush=True)


def phase(script: Path, data: Path, root: str, name: str, trials: int, kill_at: tuple[Path, int] | None = None):
    """Run a child phase; ``kill_at=(file, size)``: SIGKILL it once ``file`` holds ``size`` bytes."""
    t0 = time.time()
    command = [sys.executable, str(script), "--child", "--data", str(data), "--root", root,
               "--run-name", name, "--trials", str(trials), "--t0", repr(t0)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    if kill_at is not None:
        path, size = kill_at
        while proc.poll() is None:
            if path.exists() and path.stat().st_size >= size:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        proc.wait()
        return None, time.time() - t0
    out, _ = proc.communicate(timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"phase {name} failed (exit {proc.returncode})")
    return json.loads(out.strip().splitlines()[-1]), time.time() - t0


def final_rows(folder: Path) -> list[str]:
    from agents.engine.records import RunFolder
    from agents.testing.compare import comparable

    return comparable(RunFolder(folder).load())


def main(argv: list[str] | None = None) -> float:
    parser = bench_parser(__doc__, small_questions=300, trials=5)
    parser.add_argument("--child", action="store_true", help=argparse_hidden())
    parser.add_argument("--data")
    parser.add_argument("--root")
    parser.add_argument("--run-name")
    parser.add_argument("--t0", type=float)
    parser.add_argument("--kill-at", type=float, default=0.6, help="share of the run's records at the kill")
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    n_questions = args.questions or (300 if args.small else 10_000)

    from agents.tasks.hotpotqa.data import load_hotpotqa
    from agents.testing.fake_server import scale_questions

    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / f"hotpotqa-{n_questions}.jsonl"
        with open(data, "w", encoding="utf-8") as f:
            for row in scale_questions(load_hotpotqa(SAMPLE), n_questions):
                f.write(json.dumps(row) + "\n")
        script = Path(__file__).resolve()
        whole, _ = phase(script, data, tmp, "whole", args.trials)
        folder = Path(tmp) / "react" / "reinagent"
        size = (folder / "whole" / "attempts.jsonl").stat().st_size
        _, killed_after = phase(script, data, tmp, "killed", args.trials,
                                kill_at=(folder / "killed" / "attempts.jsonl", int(size * args.kill_at)))
        with open(folder / "killed" / "attempts.jsonl", "rb") as f:
            kept = sum(1 for _ in f)
        resumed, _ = phase(script, data, tmp, "killed", args.trials)
        same = final_rows(folder / "whole") == final_rows(folder / "killed")
        data_mb = data.stat().st_size / 2 ** 20
        records_mb = size / 2 ** 20

    print(f"S4 size: {n_questions} questions x {args.trials} trials, ReAct + REINAGENT, zero-latency "
          f"in-process scripted model, cache off, concurrency {CONCURRENCY}; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)")
    print(f"questions file {data_mb:.0f} MB; uninterrupted run: {whole['attempts']} attempts, "
          f"{whole['calls']} model calls, {whole['wall_s']:.1f} s "
          f"({whole['wall_s'] / whole['calls'] * 1000:.2f} ms a call), errors {whole['errors']}, "
          f"attempts.jsonl {records_mb:.0f} MB")
    print(f"RSS after imports {whole['baseline_mb']:.0f} MB, peak {whole['peak_mb']:.0f} MB "
          f"({(whole['peak_mb'] - whole['baseline_mb']) / whole['attempts'] * 1024:.1f} KB per attempt "
          f"beyond the imports)")
    print(f"killed run: SIGKILL after {killed_after:.1f} s with {kept} records "
          f"({kept / whole['attempts']:.0%} of the run's)")
    print(f"resume: {resumed['resumed']} records found, first new model call {resumed['first_call_s']:.2f} s "
          f"after launching the process (goal <= 5 s); finished in {resumed['wall_s']:.1f} s, "
          f"peak RSS {resumed['peak_mb']:.0f} MB")
    print(f"records identical to the uninterrupted run's: {'yes' if same else 'NO'}")
    print(f"RESULT s4_first_call_s {resumed['first_call_s']:.3f}")
    print(f"RESULT s4_peak_rss_mb {whole['peak_mb']:.1f}")
    return whole["peak_mb"]


def argparse_hidden():
    import argparse
    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
