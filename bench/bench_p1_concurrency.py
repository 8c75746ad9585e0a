"""P1: does the kit use the concurrency it is given? 100 questions x 5 trials, ReAct with REINAGENT,
against a loopback OpenAI-compatible server answering every call after 50 ms.

For concurrency 1, 4, 16, 64 it prints the wall time and compares it with the critical path, the
time no amount of concurrency can beat (counted from the records' ``llm_calls``):

- ``single``: the longest single question's calls (over all its trials) x latency (the issue's
  definition);
- ``per-trial``: the sum over trials of the longest question's calls *in that trial* x latency: the
  floor of the old schedule with a barrier between trials (``barrier=True``); the runner has none
  now (a question's trial t+1 starts when its trial t fails), so ``single`` is the floor.

Also printed: ``waves``, a floor that counts the limited worker slots too (per trial, at least
``ceil(calls in the trial / concurrency)`` call latencies), so a ratio above 1 at concurrency 64
with 100 questions in a trial is explained rather than hidden; and the client's CPU per model call
(``time.process_time`` of this process, the server being in a child process: the kit plus its HTTP
client) -> ``p1_cpu_ms_per_call`` at the concurrency of the ratio (goal <= 1 ms). The response cache
is off (``cache=False``): every call goes to the server.

    python bench/bench_p1_concurrency.py              # 100 x 5, concurrency 1, 4, 16, 64 (~1.5 min)
    BENCH_SMALL=1 python bench/bench_p1_concurrency.py  # 20 x 5 (CI, ~20 s)
"""
from __future__ import annotations

import math
import os
import tempfile
import time

from common import SAMPLE, bench_parser  # puts the repo on sys.path too


def critical_paths(frame, latency: float, concurrency: int) -> dict[str, float]:
    """The three floors described in the module docstring, in seconds."""
    per_question = frame.groupby("sample_id").llm_calls.sum()
    per_trial = frame.groupby("trial").llm_calls
    waves = sum(max(int(calls.max()), math.ceil(int(calls.sum()) / concurrency)) for _, calls in per_trial)
    return {"single": per_question.max() * latency,
            "per_trial": per_trial.max().sum() * latency,
            "waves": waves * latency}


def main(argv: list[str] | None = None) -> float:
    parser = bench_parser(__doc__, small_questions=20, trials=5)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16, 64, 100])
    parser.add_argument("--in-process", action="store_true",
                        help="run the server in this process (shares the GIL with the client)")
    args = parser.parse_args(argv)
    n_questions = args.questions or (20 if args.small else 100)

    from agents.tasks.hotpotqa.data import load_hotpotqa
    from agents.llm import make_llm
    from agents.engine.runner import run_trials
    from agents.testing.fake_server import FakeOpenAIServer, FakeOpenAIServerProcess, scripted_brain

    questions = load_hotpotqa(SAMPLE).head(n_questions)
    print(f"P1 concurrency: {n_questions} questions x {args.trials} trials, ReAct + REINAGENT, "
          f"server latency {args.latency * 1000:.0f} ms, cache off, server "
          f"{'in this process' if args.in_process else 'in a child process'}")
    rows, reference = [], None
    server = (FakeOpenAIServer(scripted_brain(questions), latency_s=args.latency) if args.in_process
              else FakeOpenAIServerProcess(SAMPLE, latency_s=args.latency))
    with server, tempfile.TemporaryDirectory() as root:
        for concurrency in args.concurrency:
            model = make_llm("openai-compatible:scripted", base_url=server.base_url, api_key="sk-bench",
                             timeout=30)
            server.reset_counters()
            cpu, started = time.process_time(), time.perf_counter()
            frame = run_trials("react", questions, strategy="reinagent", n_trials=args.trials, llm=model,
                               concurrency=concurrency, root=root, run_name=f"c{concurrency}",
                               cache=False, progress=False)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            stats = server.stats()
            assert frame.error.isna().all(), frame.error.dropna().head()
            records = sorted(frame.drop(columns=["latency_s", "cache_hits"]).to_json(orient="records",
                                                                                     lines=True).splitlines())
            same = reference is None or records == reference
            reference = reference or records
            floors = critical_paths(frame, args.latency, concurrency)
            rows.append((concurrency, wall, floors, stats, same, len(frame), int(frame.llm_calls.sum()), cpu))

    calls_per_question = frame.groupby("sample_id").llm_calls.sum()
    per_trial_max = frame.groupby("trial").llm_calls.max().tolist()
    print(f"attempts {rows[0][5]}, model calls {rows[0][6]} (serial floor {rows[0][6] * args.latency:.2f} s); "
          f"longest question: {calls_per_question.max()} calls; longest per trial: {per_trial_max}")
    single, per_trial = rows[0][2]["single"], rows[0][2]["per_trial"]
    print(f"critical path: single question {single:.2f} s, per trial (barriers) {per_trial:.2f} s")
    print(f"{'conc':>5} {'wall s':>8} {'calls/s':>8} {'in flight':>9} {'wall/single':>11} "
          f"{'wall/per-trial':>14} {'waves floor s':>13} {'wall/waves':>10} {'CPU ms/call':>11} "
          f"{'same records':>12}")
    for concurrency, wall, floors, stats, same, _, calls, cpu in rows:
        print(f"{concurrency:>5} {wall:>8.2f} {calls / wall:>8.1f} {stats['max_in_flight']:>9} "
              f"{wall / floors['single']:>11.2f} {wall / floors['per_trial']:>14.2f} "
              f"{floors['waves']:>13.2f} {wall / floors['waves']:>10.2f} {cpu / calls * 1000:>11.2f} "
              f"{'yes' if same else 'NO':>12}")
    serial = rows[0][1] / single if rows[0][0] == 1 else float("nan")
    high = [r for r in rows if r[0] >= 32] or rows[-1:]
    best = min(high, key=lambda r: r[1])
    ratio = best[1] / best[2]["single"]
    print(f"serial ratio (concurrency 1): wall/critical = {serial:.1f}")
    print(f"ratio at concurrency {best[0]}: wall/critical = {ratio:.2f} (single-question path; target <= 1.2), "
          f"{best[1] / best[2]['per_trial']:.2f} (per-trial path), {best[1] / best[2]['waves']:.2f} (waves floor)")
    cpu_ms = best[7] / best[6] * 1000
    print(f"client CPU per model call at concurrency {best[0]}: {cpu_ms:.2f} ms (the kit + its HTTP client; "
          f"goal <= 1 ms); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
    print(f"RESULT p1_ratio_at_c{best[0]} {ratio:.3f}")
    print(f"RESULT p1_cpu_ms_per_call {cpu_ms:.3f}")
    return ratio


if __name__ == "__main__":
    main()
