"""What the HumanEval sandbox costs: per-run overhead, and HumanEval's canonical solutions scored.

- per-run overhead: median wall time of ``run_in_sandbox("pass")`` (one jail: bwrap, namespaces,
  mounts, prlimit, the uid drop, Python) against a plain ``python -c pass`` subprocess, and of one
  ``score()`` of a trivial problem (two jails, a judge and a worker, and their conversation);
- the canonical solutions of HumanEval scored with ``score_many`` (all 164, or 24 picked by seed 0 at
  the CI size): wall seconds, how many passed (all must), the median per problem.

    python bench/bench_sandbox.py                       # 164 problems, 30 overhead runs
    BENCH_SMALL=1 python bench/bench_sandbox.py         # 24 problems, 8 runs (CI)
    git worktree add /tmp/before 9195b59^               # the tree before the jail's ceiling and filter
    python bench/bench_sandbox.py --before /tmp/before  # this script on both trees, rounds taken in turn

``--before TREE`` runs this very script on the kit in ``TREE`` and on this one, ``--rounds`` times each,
in turn (before, after, before, ...: a machine that slows down mid-way slows both sides alike), and
prints the median throughput of each side. ``--tree TREE --label NAME`` is one such round (what
``--before`` runs).

The jail's ceiling in force on this host is printed first (a cgroup per jail, or per process only).
Last lines: ``RESULT sandbox_canonical_pass <passed> of <scored>``, ``RESULT sandbox_throughput[_<label>]
<problems a second> problems/s``, ``RESULT sandbox_ceiling <cgroup2|cgroup1|fallback|none>`` and
(kept for older notes) ``RESULT humaneval_canonical_s <seconds for the problems scored>``.
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
if "--tree" in sys.argv:  # before anything imports the kit: `agents` must come from that tree
    _TREE = str(Path(sys.argv[sys.argv.index("--tree") + 1]).resolve())
    sys.path.insert(0, _TREE)
    sys.path.append(str(HERE.parent.parent))  # so common.py finds its repo on the path and adds nothing

from common import bench_parser  # noqa: E402 - puts the repo on sys.path too (unless --tree did)


def median_s(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ceiling_kind(described: str | None) -> str:
    """The short name of the ceiling in force: ``cgroup2``/``cgroup1``, ``fallback`` (per process,
    seccomp keeping memfds out) or ``none`` (a tree that predates the ceiling: rlimits only).

    >>> ceiling_kind("cgroup1: memory.limit_in_bytes 1024 MiB ..."), ceiling_kind(None)
    ('cgroup1', 'none')
    >>> ceiling_kind("per process only (no cgroup: not root): ...")
    'fallback'
    """
    if described is None:
        return "none"
    kind = described.split(":", 1)[0]
    return kind if kind in ("cgroup2", "cgroup1") else "fallback"


def one_round(args) -> float:
    """Measure the kit that is importable now; print the figures and RESULT lines. Returns problems/s."""
    import agents
    from agents.tasks.humaneval import sandbox
    from agents.tasks.humaneval.data import DatasetUnavailable, load_humaneval
    from agents.tasks.humaneval.sandbox import SandboxUnavailable, check_sandbox, python_command, run_in_sandbox
    from agents.tasks.humaneval.scoring import score, score_many

    n_problems = args.questions or (24 if args.small else 164)
    runs = args.runs if args.runs is not None else (8 if args.small else 30)
    try:
        check_sandbox()
        problems = load_humaneval(n=n_problems, seed=0)
    except (SandboxUnavailable, DatasetUnavailable) as error:
        sys.exit(f"bench_sandbox needs the sandbox and the data: {error}")

    described = sandbox.ceiling_in_force() if hasattr(sandbox, "ceiling_in_force") else None
    print(f"kit: {Path(agents.__file__).resolve().parent.parent}")
    print(f"ceiling in force: {described or 'none: this tree has no jail ceiling (rlimits per process only)'}")
    if runs:
        plain = median_s(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), runs)
        isolated = median_s(lambda: subprocess.run([*python_command(), "-c", "pass"], check=True), runs)
        jailed = median_s(lambda: run_in_sandbox("pass"), runs)
        trivial = {"prompt": "def one():\n    \"\"\"1.\"\"\"\n", "entry_point": "one",
                   "test": "def check(candidate):\n    assert candidate() == 1\n"}
        judged = median_s(lambda: score(trivial, "    return 1\n"), runs)
        print(f"sandbox overhead on {os.cpu_count()} CPUs, median of {runs} runs:")
        print(f"  python -c pass (plain subprocess)          {plain * 1000:7.1f} ms")
        print(f"  python -I -S -B -c pass (the jail's flags) {isolated * 1000:7.1f} ms")
        print(f"  run_in_sandbox('pass') (one jail)          {jailed * 1000:7.1f} ms  "
              f"(+{(jailed - isolated) * 1000:.1f} ms over the same interpreter)")
        print(f"  score() of a trivial problem (two jails)   {judged * 1000:7.1f} ms")

    workers = args.workers or 2 * (os.cpu_count() or 1)
    started = time.perf_counter()
    results = score_many([(p, p["canonical_solution"]) for p in problems], timeout=30, workers=workers)
    canonical_s = time.perf_counter() - started
    passed = sum(r.passed for r in results)
    per_s = len(problems) / canonical_s
    print(f"HumanEval canonical solutions: {passed}/{len(problems)} passed in {canonical_s:.2f} s with "
          f"{workers} workers (median {statistics.median(r.seconds for r in results) * 1000:.0f} ms a problem, "
          f"slowest {max(r.seconds for r in results):.2f} s)")
    if passed != len(problems):
        failed = [(p["task_id"], r.reason) for p, r in zip(problems, results) if not r.passed]
        print(f"failed: {failed[:5]}")
    suffix = f"_{args.label}" if args.label else ""
    print(f"RESULT sandbox_canonical_pass{suffix} {passed} of {len(problems)}")
    print(f"RESULT sandbox_throughput{suffix} {per_s:.1f} problems/s")
    print(f"RESULT sandbox_ceiling{suffix} {ceiling_kind(described)}")
    print(f"RESULT humaneval_canonical_s{suffix} {canonical_s:.2f}")
    if passed != len(problems):
        sys.exit("canonical solutions failed")
    return per_s


def compare(args) -> None:
    """This script on ``args.before`` and on this tree, ``args.rounds`` times each, in turn."""
    common = ["--questions", str(args.questions or (24 if args.small else 164))]
    common += ["--workers", str(args.workers)] if args.workers else []
    figures = {"before": [], "after": []}
    seen = {}
    trees = {"before": str(Path(args.before).resolve()), "after": str(HERE.parent.parent)}
    for number in range(args.rounds):
        for label in ("before", "after"):
            runs = ["--runs", str(args.runs if args.runs is not None else 0 if number else 8)]
            done = subprocess.run([sys.executable, str(HERE), "--tree", trees[label], "--label", label,
                                   *common, *runs], capture_output=True, text=True)
            sys.stdout.write(f"-- round {number + 1}, {label} ({trees[label]})\n{done.stdout}")
            if done.returncode:
                sys.exit(f"the {label} round failed (exit {done.returncode}): {done.stderr[-2000:]}")
            found = dict(re.findall(rf"^RESULT (\w+)_{label} (.+)$", done.stdout, re.M))
            figures[label].append(float(found["sandbox_throughput"].split()[0]))
            seen[label] = found
    print(f"== {args.rounds} rounds each, medians:")
    for label in ("before", "after"):
        print(f"RESULT sandbox_canonical_pass_{label} {seen[label]['sandbox_canonical_pass']}")
        print(f"RESULT sandbox_throughput_{label} {statistics.median(figures[label]):.1f} problems/s "
              f"(rounds: {', '.join(f'{x:.1f}' for x in figures[label])})")
        print(f"RESULT sandbox_ceiling_{label} {seen[label]['sandbox_ceiling']}")
    ratio = statistics.median(figures["after"]) / statistics.median(figures["before"])
    print(f"RESULT sandbox_throughput_after_over_before {ratio:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = bench_parser(__doc__, small_questions=24, trials=1)
    parser.add_argument("--workers", type=int, default=None, help="score_many's workers (default: 2 x CPUs)")
    parser.add_argument("--runs", type=int, default=None, help="overhead runs (default 30, CI 8; 0: skip)")
    parser.add_argument("--before", default=None, help="another checkout of the kit: measure it and this one")
    parser.add_argument("--rounds", type=int, default=3, help="with --before: rounds per tree (default 3)")
    parser.add_argument("--tree", default=None, help="measure the kit in this checkout (one round)")
    parser.add_argument("--label", default="", help="suffix of the RESULT names (before, after...)")
    args = parser.parse_args(argv)
    if args.before:
        compare(args)
    else:
        one_round(args)


if __name__ == "__main__":
    main()
