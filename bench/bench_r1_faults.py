"""R1: 100 questions x 3 trials with 20 % of model calls faulted completes with records identical to
the fault-free run and 0 attempts lost.

Both runs go through the kit's ``openai-compatible`` backend (the real ``openai`` client) to a
loopback server with the same scripted brain; the faulted server answers 20 % of requests with a
429 (``Retry-After``), a 500, a timeout (held past the client's 0.5 s timeout), a connection reset
or a truncated JSON body, chosen by a seeded hash of (prompt, attempt number). Cache off.

    python bench/bench_r1_faults.py                  # 100 x 3 (~30 s)
    BENCH_SMALL=1 python bench/bench_r1_faults.py    # 20 x 3 (CI)
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time

from common import SAMPLE, bench_parser  # puts the repo on sys.path too
CLIENT_TIMEOUT_S = 0.5


def comparable(frame):
    rows = frame.drop(columns=["latency_s", "cache_hits"]).to_dict("records")
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, small_questions=20, trials=3)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chat", action=argparse.BooleanOptionalAction, default=True,
                        help="/chat/completions (default) or /completions (--no-chat)")
    args = parser.parse_args(argv)
    n_questions = args.questions or (20 if args.small else 100)

    from agents.tasks.hotpotqa.data import load_hotpotqa
    from agents.llm import make_llm
    from agents.engine.runner import run_trials
    from agents.testing.fake_server import FakeOpenAIServer, FaultPlan, scripted_brain

    questions = load_hotpotqa(SAMPLE).head(n_questions)

    def one_run(server, root, name):
        model = make_llm("openai-compatible:scripted", base_url=server.base_url, api_key="sk-bench",
                         chat=args.chat, timeout=CLIENT_TIMEOUT_S, max_retries=6,
                         backoff_base=0.01, backoff_cap=0.1)
        started = time.perf_counter()
        frame = run_trials("react", questions, strategy="reinagent", n_trials=args.trials, llm=model,
                           concurrency=args.concurrency, root=root, run_name=name, cache=False,
                           progress=False)
        return frame, time.perf_counter() - started

    plan = FaultPlan(rate=args.fault_rate, seed=args.seed, hold_s=CLIENT_TIMEOUT_S * 2, retry_after_s=0.02)
    with tempfile.TemporaryDirectory() as root:
        with FakeOpenAIServer(scripted_brain(questions)) as server:
            clean, clean_wall = one_run(server, root, "fault-free")
            clean_stats = server.stats()
        with FakeOpenAIServer(scripted_brain(questions), faults=plan) as server:
            faulted, faulted_wall = one_run(server, root, "faulted")
            stats = server.stats()

    expected = set(zip(clean.sample_id, clean.trial))
    got = set(zip(faulted[faulted.error.isna()].sample_id, faulted[faulted.error.isna()].trial))
    lost = len(expected - got)
    errors = int(faulted.error.notna().sum())
    identical = comparable(clean) == comparable(faulted)
    endpoint = "/v1/chat/completions" if args.chat else "/v1/completions"
    print(f"R1 faults: {n_questions} questions x {args.trials} trials, ReAct + REINAGENT, concurrency "
          f"{args.concurrency}, {args.fault_rate:.0%} of calls faulted ({endpoint}), client timeout "
          f"{CLIENT_TIMEOUT_S} s, up to 6 retries")
    print(f"fault-free: {len(clean)} attempts, {clean_stats['served']} calls, {clean_wall:.1f} s")
    print(f"faulted:    {len(faulted)} attempts, {stats['completions']} requests, {stats['served']} served, "
          f"{faulted_wall:.1f} s")
    print(f"faults injected: {stats['faulted']} ({stats['faulted'] / stats['completions']:.1%} of requests) "
          f"by kind {dict(sorted(stats['faults'].items()))}")
    print(f"retries: {stats['completions'] - stats['served']} (every faulted request retried, "
          f"none given up)")
    print(f"attempts expected {len(expected)}, recorded without error {len(got)}, errors {errors}, "
          f"lost {lost}")
    print(f"records identical to the fault-free run: {'yes' if identical else 'NO'}")
    print(f"RESULT r1_lost_attempts {lost}")
    return lost


if __name__ == "__main__":
    main()
