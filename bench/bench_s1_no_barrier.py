"""S1: no barriers between trials. 1,000 HotPotQA-schema questions (the 100 of the sample and
copies with suffixed ids and question text) x 5 trials, ReAct + REINAGENT, concurrency 1,000, cache
off, against the scripted model behind the loopback fake server (in a child process, so its 1,000
sleeping handler threads do not share the client's GIL) answering each call after 2 s +- 50 %
(uniform, seeded by the prompt: the same prompt always takes the same time).

The floor is the critical path: the longest chain of call latencies any one question has to wait
through, all its trials and reflections in a row (the server reports the latency it served per
question). Without a barrier a question's trial k+1 starts as soon as its trial k fails, so the
wall time can approach that floor (goal <= 1.15); with ``barrier=True`` (the old schedule) every
trial waits for the slowest question of the trial before, for comparison.

    python bench/bench_s1_no_barrier.py              # 1,000 x 5, 2 s latency (~3 min)
    BENCH_SMALL=1 python bench/bench_s1_no_barrier.py  # 100 x 5, 0.3 s latency (CI)
"""
from __future__ import annotations

import os
import tempfile
import time

from common import SAMPLE, bench_parser  # puts the repo on sys.path too


def one_run(server, questions, args, root, barrier: bool) -> dict:
    from agents.engine.runner import run_trials
    from agents.llm import make_llm

    model = make_llm("openai-compatible:scripted", base_url=server.base_url, api_key="sk-bench",
                     timeout=args.latency * 10 + 5)
    server.reset_counters()
    cpu, started = time.process_time(), time.perf_counter()
    frame = run_trials("react", questions, strategy="reinagent", n_trials=args.trials, llm=model,
                       concurrency=args.concurrency, root=root, run_name=f"barrier-{barrier}",
                       cache=False, progress=False, barrier=barrier)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    chains = server.latency_by_question()
    stats = server.stats()
    return {"frame": frame, "wall": wall, "cpu": cpu, "critical": max(chains.values()),
            "calls": int(frame.llm_calls.sum()), "served": stats["served"],
            "max_in_flight": stats["max_in_flight"], "errors": int(frame.error.notna().sum()),
            "traffic": frame.attrs["manifest"]["traffic"]}


def main(argv: list[str] | None = None) -> float:
    parser = bench_parser(__doc__, small_questions=100, trials=5)
    parser.add_argument("--latency", type=float, default=None, help="seconds per call (default 2, CI 0.3)")
    parser.add_argument("--jitter", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=None, help="default: the number of questions")
    args = parser.parse_args(argv)
    n_questions = args.questions or (100 if args.small else 1000)
    args.latency = args.latency or (0.3 if args.small else 2.0)
    args.concurrency = args.concurrency or n_questions

    from agents.tasks.hotpotqa.data import load_hotpotqa
    from agents.testing.compare import comparable
    from agents.testing.fake_server import FakeOpenAIServerProcess, scale_questions

    questions = scale_questions(load_hotpotqa(SAMPLE), n_questions)
    load = os.getloadavg()
    with FakeOpenAIServerProcess(SAMPLE, latency_s=args.latency, latency_jitter=args.jitter,
                                 questions=n_questions, max_seconds=1800) as server, \
            tempfile.TemporaryDirectory() as root:
        free = one_run(server, questions, args, root, barrier=False)
        held = one_run(server, questions, args, root, barrier=True)
    same = comparable(free["frame"]) == comparable(held["frame"])

    frame = free["frame"]
    print(f"S1 no barriers: {n_questions} questions x {args.trials} trials, ReAct + REINAGENT, concurrency "
          f"{args.concurrency}, server latency {args.latency:g} s +- {args.jitter:.0%} (uniform, seeded per "
          f"prompt), cache off, server in a child process; load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} (2 cores)")
    print(f"attempts {len(frame)}, model calls {free['calls']} (served {free['served']}), errors "
          f"{free['errors']}; longest question's chain of call latencies {free['critical']:.1f} s")
    print(f"{'schedule':>10} {'wall s':>8} {'wall/critical':>13} {'calls/s':>8} {'in flight':>9} "
          f"{'client CPU s':>12} {'CPU ms/call':>11}")
    for label, run in (("no barrier", free), ("barrier", held)):
        print(f"{label:>10} {run['wall']:>8.1f} {run['wall'] / run['critical']:>13.3f} "
              f"{run['calls'] / run['wall']:>8.1f} {run['max_in_flight']:>9} {run['cpu']:>12.1f} "
              f"{run['cpu'] / run['calls'] * 1000:>11.2f}")
    print(f"records identical with and without the barrier: {'yes' if same else 'NO'}")
    print(f"limiter (no rate limit): {free['traffic']['rate_limited']} 429s, in-flight window "
          f"{free['traffic']['concurrency']}")
    ratio = free["wall"] / free["critical"]
    print(f"RESULT s1_barrier_wall_over_critical {held['wall'] / held['critical']:.3f}")
    print(f"RESULT s1_wall_over_critical {ratio:.3f}")
    return ratio


if __name__ == "__main__":
    main()
