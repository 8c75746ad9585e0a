"""S3: several servers. 500 HotPotQA-schema questions x 3 trials, ReAct + REINAGENT, concurrency 50,
cache off, on a pool of two fake servers (child processes, 0.5 s a call) given as two base URLs.

First a reference run with both servers up (the per-server split). Then the same run while one
server is SIGKILLed once half the reference's calls are served, and started again on the same
port 5 s later: requests in flight on it fail and are retried on the other server, the circuit
breaker skips it while it is down (probing it after each cool-down), and takes it back once it
answers. ``s3_lost_attempts`` (goal 0): attempts of the reference run missing from the faulted run
(or recorded with an error); the records must be identical.

    python bench/bench_s3_servers.py              # 500 x 3 (~1.5 min)
    BENCH_SMALL=1 python bench/bench_s3_servers.py  # 100 x 3 (CI)
"""
from __future__ import annotations

import os
import tempfile
import threading
import time

from common import SAMPLE, bench_parser  # puts the repo on sys.path too


def one_run(servers, questions, args, root, name):
    from agents.engine.runner import run_trials
    from agents.llm import make_llm

    model = make_llm("openai-compatible:scripted", base_url=[s.base_url for s in servers],
                     api_key="sk-bench", timeout=30)
    started = time.perf_counter()
    frame = run_trials("react", questions, strategy="reinagent", n_trials=args.trials, llm=model,
                       concurrency=args.concurrency, root=root, run_name=name, cache=False, progress=False)
    return frame, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, small_questions=100, trials=3)
    parser.add_argument("--latency", type=float, default=None, help="seconds a call (default 0.5, CI 0.2)")
    parser.add_argument("--concurrency", type=int, default=None, help="default 50 (CI 20)")
    parser.add_argument("--down", type=float, default=None, help="seconds the server stays dead (5, CI 1.5)")
    args = parser.parse_args(argv)
    n_questions = args.questions or (100 if args.small else 500)
    args.latency = args.latency or (0.2 if args.small else 0.5)
    args.concurrency = args.concurrency or (20 if args.small else 50)
    args.down = args.down or (1.5 if args.small else 5.0)

    from agents.tasks.hotpotqa.data import load_hotpotqa
    from agents.testing.compare import comparable
    from agents.testing.fake_server import FakeOpenAIServerProcess, scale_questions

    questions = scale_questions(load_hotpotqa(SAMPLE), n_questions)
    load = os.getloadavg()
    events = []
    servers = [FakeOpenAIServerProcess(SAMPLE, latency_s=args.latency, questions=n_questions,
                                       max_seconds=1800) for _ in range(2)]
    with servers[0], servers[1], tempfile.TemporaryDirectory() as root:
        reference, reference_wall = one_run(servers, questions, args, root, "reference")
        split = reference.attrs["manifest"]["servers"]
        half = int(reference.llm_calls.sum()) // 2
        for server in servers:
            server.reset_counters()

        def saboteur():   # kill server 2 at half the calls, start it again args.down seconds later
            started = time.perf_counter()
            while sum(s.stats()["served"] for s in servers) < half:
                if time.perf_counter() - started > 600:
                    return
                time.sleep(0.05)
            events.append(("killed", time.perf_counter() - started, servers[0].stats()["served"],
                           servers[1].stats()["served"]))
            servers[1].kill()
            time.sleep(args.down)
            servers[1].__enter__()
            events.append(("started again", time.perf_counter() - started, None, None))

        thread = threading.Thread(target=saboteur, daemon=True)
        thread.start()
        faulted, faulted_wall = one_run(servers, questions, args, root, "faulted")
        thread.join(timeout=60)
        after = [s.stats()["served"] for s in servers]
        traffic = faulted.attrs["manifest"]["traffic"]
        rows = faulted.attrs["manifest"]["servers"]

    expected = set(zip(reference.sample_id, reference.trial))
    good = faulted[faulted.error.isna()]
    lost = len(expected - set(zip(good.sample_id, good.trial)))
    same = comparable(reference) == comparable(faulted)
    print(f"S3 several servers: {n_questions} questions x {args.trials} trials, ReAct + REINAGENT, "
          f"concurrency {args.concurrency}, two fake servers (child processes, {args.latency:g} s a call), "
          f"cache off; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)")
    print(f"reference (both up): {len(reference)} attempts, {int(reference.llm_calls.sum())} calls, "
          f"{reference_wall:.1f} s; per server: "
          + ", ".join(f"{r['base_url']} {r['ok']} ok" for r in split))
    for what, at, first, second in events:
        extra = f" (served so far: {first} and {second})" if first is not None else ""
        print(f"server 2 {what} at {at:.1f} s{extra}")
    print(f"faulted run: {len(faulted)} attempts, {faulted_wall:.1f} s; per server (client's view):")
    print(f"{'server':>28} {'requests':>8} {'ok':>6} {'failed':>6} {'breaker trips':>13}")
    for row in rows:
        print(f"{row['base_url']:>28} {row['requests']:>8} {row['ok']:>6} {row['failed']:>6} {row['trips']:>13}")
    print(f"served since the restart by server 2: {after[1]} (it was used again); server 1 in all: {after[0]}")
    print(f"limiter: {traffic['timeouts']} timeouts, {traffic['errors']} other failed requests, window "
          f"{traffic['concurrency']['low']}-{traffic['concurrency']['high']}")
    print(f"attempts expected {len(expected)}, recorded without error {len(good)}, lost {lost}; "
          f"records identical to the reference: {'yes' if same else 'NO'}")
    print(f"RESULT s3_lost_attempts {lost}")
    return lost


if __name__ == "__main__":
    main()
