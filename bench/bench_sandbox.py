"""What the HumanEval sandbox costs: per-run overhead, and HumanEval's canonical solutions scored.

- per-run overhead: median wall time of ``run_in_sandbox("pass")`` (one jail: bwrap, namespaces,
  mounts, prlimit, the uid drop, Python) against a plain ``python -c pass`` subprocess, and of one
  ``score()`` of a trivial problem (two jails, a judge and a worker, and their conversation);
- the canonical solutions of HumanEval scored with ``score_many`` (all 164, or 24 picked by seed 0 at
  the CI size): wall seconds, how many passed (all must), the median per problem.

    python bench/bench_sandbox.py              # 164 problems, 30 overhead runs
    BENCH_SMALL=1 python bench/bench_sandbox.py  # 24 problems, 8 runs (CI)

The jail's ceiling in force on this host is printed first (a cgroup per jail, or per process only).
Last lines: ``RESULT humaneval_canonical_passed <passed>/<scored>``,
``RESULT humaneval_canonical_per_s <problems a second>`` and
``RESULT humaneval_canonical_s <seconds for the problems scored>``.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from common import bench_parser  # puts the repo on sys.path too


def median_s(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> float:
    parser = bench_parser(__doc__, small_questions=24, trials=1)
    parser.add_argument("--workers", type=int, default=None, help="score_many's workers (default: 2 x CPUs)")
    args = parser.parse_args(argv)
    n_problems = args.questions or (24 if args.small else 164)
    runs = 8 if args.small else 30

    from agents.tasks.humaneval.data import DatasetUnavailable, load_humaneval
    from agents.tasks.humaneval.sandbox import (SandboxUnavailable, ceiling_in_force, check_sandbox, python_command,
                                                run_in_sandbox)
    from agents.tasks.humaneval.scoring import score, score_many

    try:
        check_sandbox()
        problems = load_humaneval(n=n_problems, seed=0)
    except (SandboxUnavailable, DatasetUnavailable) as error:
        sys.exit(f"bench_sandbox needs the sandbox and the data: {error}")

    plain = median_s(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), runs)
    isolated = median_s(lambda: subprocess.run([*python_command(), "-c", "pass"], check=True), runs)
    jailed = median_s(lambda: run_in_sandbox("pass"), runs)
    trivial = {"prompt": "def one():\n    \"\"\"1.\"\"\"\n", "entry_point": "one",
               "test": "def check(candidate):\n    assert candidate() == 1\n"}
    judged = median_s(lambda: score(trivial, "    return 1\n"), runs)

    workers = args.workers or 2 * (os.cpu_count() or 1)
    started = time.perf_counter()
    results = score_many([(p, p["canonical_solution"]) for p in problems], timeout=30, workers=workers)
    canonical_s = time.perf_counter() - started
    passed = sum(r.passed for r in results)

    print(f"ceiling in force: {ceiling_in_force()}")
    print(f"sandbox overhead on {os.cpu_count()} CPUs, median of {runs} runs:")
    print(f"  python -c pass (plain subprocess)          {plain * 1000:7.1f} ms")
    print(f"  python -I -S -B -c pass (the jail's flags) {isolated * 1000:7.1f} ms")
    print(f"  run_in_sandbox('pass') (one jail)          {jailed * 1000:7.1f} ms  "
          f"(+{(jailed - isolated) * 1000:.1f} ms over the same interpreter)")
    print(f"  score() of a trivial problem (two jails)   {judged * 1000:7.1f} ms")
    print(f"HumanEval canonical solutions: {passed}/{len(problems)} passed in {canonical_s:.2f} s with "
          f"{workers} workers (median {statistics.median(r.seconds for r in results) * 1000:.0f} ms a problem, "
          f"slowest {max(r.seconds for r in results):.2f} s)")
    if passed != len(problems):
        failed = [(p["task_id"], r.reason) for p, r in zip(problems, results) if not r.passed]
        sys.exit(f"canonical solutions failed: {failed[:5]}")
    print(f"RESULT humaneval_canonical_passed {passed}/{len(problems)}")
    print(f"RESULT humaneval_canonical_per_s {len(problems) / canonical_s:.1f}")
    print(f"RESULT humaneval_canonical_s {canonical_s:.2f}")
    return canonical_s


if __name__ == "__main__":
    main()
