"""Issue 3's engine figures, with a zero-latency scripted model on 100 questions x 3 trials
(ReAct with REINAGENT, concurrency 1, the persistent response cache on):

- framework time per model call: the first run's wall time / its model calls (the model answers
  in microseconds, so this is the kit: prompts, parsing, docstore, cache, records) — target <= 2 ms;
- a re-run of the finished configuration into a *new* run folder with the same cache: model calls
  (target 0) and wall time / the first run's (target <= 5 %); also the re-run in the *same* folder
  (a resume that finds everything recorded);
- peak RSS beyond the imports (``ru_maxrss`` at the end minus RSS after imports) — target <= 500 MB.

    python bench/bench_framework_overhead.py              # 100 x 3
    BENCH_SMALL=1 python bench/bench_framework_overhead.py  # 30 x 3 (CI)
"""
from __future__ import annotations

import json
import resource
import tempfile
import time
from pathlib import Path

from common import SAMPLE, bench_parser  # puts the repo on sys.path too


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> float:
    parser = bench_parser(__doc__, small_questions=30, trials=3)
    args = parser.parse_args(argv)
    n_questions = args.questions or (30 if args.small else 100)

    from agents.tasks.hotpotqa.data import load_hotpotqa
    from agents.engine.runner import run_trials
    from agents.testing.scripted import ScriptedHotpotModel
    import pandas  # noqa: F401  (counted in the baseline, as every run needs it)
    import tqdm.auto  # noqa: F401

    questions = load_hotpotqa(SAMPLE).head(n_questions)
    baseline = rss_mb()

    def one_run(root, name, cache_path):
        model = ScriptedHotpotModel.from_records(questions)
        started = time.perf_counter()
        frame = run_trials("react", questions, strategy="reinagent", n_trials=args.trials, llm=model,
                           root=root, run_name=name, cache_path=cache_path, progress=False)
        wall = time.perf_counter() - started
        manifest = json.loads((Path(frame.attrs["run_dir"]) / "manifest.json").read_text())
        return frame, wall, manifest["counters"]

    with tempfile.TemporaryDirectory() as root:
        cache = Path(root) / "responses.sqlite"
        first, first_wall, first_counts = one_run(root, "first", cache)
        rerun, rerun_wall, rerun_counts = one_run(root, "rerun-new-folder", cache)
        resume, resume_wall, resume_counts = one_run(root, "first", cache)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux

    calls = first_counts["llm_calls"]
    per_call_ms = first_wall / calls * 1000
    same = (sorted(first.drop(columns=["latency_s", "cache_hits"]).to_json(orient="records", lines=True).split("\n"))
            == sorted(rerun.drop(columns=["latency_s", "cache_hits"]).to_json(orient="records", lines=True).split("\n")))
    print(f"framework overhead: {n_questions} questions x {args.trials} trials, ReAct + REINAGENT, "
          f"zero-latency scripted model, cache on, concurrency 1")
    print(f"first run:   {len(first)} attempts, {calls} model calls, {first_wall:.2f} s -> "
          f"{per_call_ms:.2f} ms of framework per model call (target <= 2 ms)")
    print(f"re-run, new folder, same cache: {rerun_counts['llm_calls']} model calls (target 0), "
          f"{rerun_counts['cache_hits']} cache hits, {rerun_wall:.2f} s = {rerun_wall / first_wall:.1%} of the "
          f"first run (target <= 5 %); records identical: {'yes' if same else 'NO'}")
    print(f"re-run, same folder (resume, all recorded): {resume_counts['llm_calls'] - calls} new model calls, "
          f"{resume_wall:.2f} s = {resume_wall / first_wall:.1%} of the first run")
    print(f"RSS after imports {baseline:.0f} MB, peak {peak:.0f} MB -> {peak - baseline:.0f} MB beyond "
          f"the imports (target <= 500 MB)")
    print(f"RESULT framework_ms_per_call {per_call_ms:.3f}")
    return per_call_ms


if __name__ == "__main__":
    main()
