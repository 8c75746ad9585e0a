"""S2: real rate limits. 2,000 HotPotQA-schema questions x 3 trials, ReAct + REINAGENT,
concurrency 100, cache off, against the fake server (child process; 0.5 s a call) enforcing 3,000
requests a minute like a provider: a bucket of 50 a second holding one second's worth, and beyond
it a 429 with ``Retry-After`` / ``retry-after-ms``.

1. With ``rpm=3000`` (``--rpm 3000``): the client paces itself. Throughput in the steady state (from
   the 5th second until 90 % of the calls are served, per the server's own per-second count) over
   3,000 a minute -> ``s2_throughput_share`` (goal >= 0.95); 429s over all completion requests ->
   ``s2_429_share`` (goal <= 0.01).
2. Without ``rpm``: the server's 429s drive the shared pause and the adaptive window (AIMD on the
   calls in flight); the run must still finish with 0 attempts lost (the records are compared
   with run 1's: same questions, same scripted model).

    python bench/bench_s2_rate_limits.py              # 2,000 x 3 (~10 min)
    BENCH_SMALL=1 python bench/bench_s2_rate_limits.py  # 60 x 3 (CI, ~30 s)
"""
from __future__ import annotations

import os
import tempfile
import time

from common import SAMPLE, bench_parser  # puts the repo on sys.path too

LIMIT_RPM = 3000


def steady_rate(per_s: dict[str, int], warmup_s: int = 5, share: float = 0.9) -> tuple[float, int, int]:
    """Calls a second from ``warmup_s`` until ``share`` of all calls were served: (rate, from, to)."""
    seconds = sorted((int(k), v) for k, v in per_s.items())
    total, running, end = sum(v for _, v in seconds), 0, seconds[-1][0]
    for second, count in seconds:
        running += count
        if running >= share * total:
            end = second
            break
    window = [v for s, v in seconds if warmup_s <= s < end]
    span = max(1, end - warmup_s)
    return sum(window) / span, warmup_s, end


def one_run(server, questions, args, root, name, rpm):
    from agents.engine.runner import run_trials
    from agents.llm import make_llm

    model = make_llm("openai-compatible:scripted", base_url=server.base_url, api_key="sk-bench", timeout=30)
    server.reset_counters()
    started = time.perf_counter()
    frame = run_trials("react", questions, strategy="reinagent", n_trials=args.trials, llm=model,
                       concurrency=args.concurrency, root=root, run_name=name, cache=False,
                       progress=False, rpm=rpm)
    wall = time.perf_counter() - started
    stats = server.stats()
    rate, start, end = steady_rate(stats["served_per_s"])
    return {"frame": frame, "wall": wall, "stats": stats, "rate": rate, "window": (start, end),
            "traffic": frame.attrs["manifest"]["traffic"], "limits": frame.attrs["manifest"]["limits"]}


def main(argv: list[str] | None = None) -> float:
    parser = bench_parser(__doc__, small_questions=60, trials=3)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args(argv)
    n_questions = args.questions or (60 if args.small else 2000)

    from agents.tasks.hotpotqa.data import load_hotpotqa
    from agents.testing.compare import comparable
    from agents.testing.fake_server import FakeOpenAIServerProcess, scale_questions

    questions = scale_questions(load_hotpotqa(SAMPLE), n_questions)
    load = os.getloadavg()
    with FakeOpenAIServerProcess(SAMPLE, latency_s=args.latency, rpm=LIMIT_RPM, questions=n_questions,
                                 max_seconds=3600) as server, tempfile.TemporaryDirectory() as root:
        paced = one_run(server, questions, args, root, "rpm", LIMIT_RPM)
        free = one_run(server, questions, args, root, "adaptive", None)

    print(f"S2 rate limits: {n_questions} questions x {args.trials} trials, ReAct + REINAGENT, concurrency "
          f"{args.concurrency}, server latency {args.latency:g} s, the server allowing {LIMIT_RPM} requests/min "
          f"(50/s, 1 s of burst; 429 + Retry-After beyond), cache off; load average {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f} (2 cores)")
    expected = {(r.sample_id, r.trial) for r in paced["frame"].itertuples()}
    print(f"{'run':>9} {'wall s':>7} {'served':>7} {'429s':>6} {'429 share':>9} {'steady calls/min':>16} "
          f"{'share of limit':>14} {'pauses':>6} {'paused s':>8} {'waits':>6} {'waited s':>8} "
          f"{'window low-high':>15} {'cuts':>4}")
    for label, run in (("--rpm", paced), ("adaptive", free)):
        stats, traffic = run["stats"], run["traffic"]
        window = traffic["concurrency"]
        run["share_429"] = stats["rate_limited"] / max(1, stats["completions"])
        print(f"{label:>9} {run['wall']:>7.1f} {stats['served']:>7} {stats['rate_limited']:>6} "
              f"{run['share_429']:>9.4f} {run['rate'] * 60:>16.0f} {run['rate'] * 60 / LIMIT_RPM:>14.3f} "
              f"{traffic['pauses']:>6} {traffic['paused_s']:>8.1f} {traffic['waits']:>6} "
              f"{traffic['waited_s']:>8.1f} {str(window['low']) + '-' + str(window['high']):>15} "
              f"{window['decreases']:>4}")
    good = free["frame"][free["frame"].error.isna()]
    lost = len(expected - set(zip(good.sample_id, good.trial)))
    same = comparable(paced["frame"]) == comparable(free["frame"])
    print(f"steady state: seconds {paced['window'][0]}-{paced['window'][1]} of the --rpm run, "
          f"{free['window'][0]}-{free['window'][1]} of the adaptive one")
    print(f"without --rpm: attempts expected {len(expected)}, recorded without error {len(good)}, "
          f"lost {lost}; records identical to the --rpm run: {'yes' if same else 'NO'}")
    share = paced["rate"] * 60 / LIMIT_RPM
    print(f"RESULT s2_adaptive_lost_attempts {lost}")
    print(f"RESULT s2_429_share {paced['share_429']:.4f}")
    print(f"RESULT s2_throughput_share {share:.3f}")
    return share


if __name__ == "__main__":
    main()
