"""P4: over a ReAct episode on the embedded model, the share of prompt tokens served from the KV
prefix cache rather than evaluated (target >= 90 %).

One sample question, ReAct with REINAGENT, 2 trials, on ``make_llm("local")`` (Gemma 3 270M via
llama.cpp, in process). The verdict does not matter for KV reuse, so the evaluator never accepts:
the episode always takes both trials (trial 1, a reflection, trial 2). Share =
sum(cached_tokens) / sum(input_tokens) over the attempts, as the records report them; per-call
figures are printed too.

Two figures: a *cold* episode (the first in a fresh process: its few-shot prefixes, acting and
reflection, must be evaluated once) and an *in-run* episode (the next question of the same run, the
situation of every episode but the first in a real run: the shared prefixes are already in llama.cpp's
KV states). The RESULT line is the in-run share; ``--cold-only`` skips the warm-up episode.

    python bench/bench_p4_kv_share.py              # one episode, default max_steps and max_tokens
    BENCH_SMALL=1 python bench/bench_p4_kv_share.py  # CI: max 3 steps, 48-token replies
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

from common import SAMPLE  # puts the repo on sys.path too


def never(answer: str, gold: str) -> bool:
    """An evaluator that never accepts: the episode always runs both trials."""
    return False


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", default=os.environ.get("BENCH_SMALL") == "1",
                        help="CI size: the same episode with at most 3 steps and 48-token replies")
    parser.add_argument("--question", type=int, default=22, help="row of the sample (default 22: Opry Mills)")
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--questions", type=int, default=1,
                        help="episodes run one after another on the same model (the few-shot prefix "
                             "is then shared across questions too)")
    parser.add_argument("--cold-only", action="store_true",
                        help="measure the first episode of a fresh process only (no warm-up episode)")
    parser.add_argument("--kv-states", action="store_true",
                        help="LocalLLM(kv_states_bytes=512 MB): saved KV states, so the reflection call "
                             "does not evict the acting prompt's prefix (off by default: see LocalLLM)")
    args = parser.parse_args(argv)

    from agents.tasks.hotpotqa.data import load_hotpotqa
    from agents.llm import make_llm
    from agents.engine.runner import run_trials

    question = load_hotpotqa(SAMPLE).iloc[args.question: args.question + args.questions]
    local_options = {"kv_states_bytes": 512 << 20} if args.kv_states else {}
    if args.small:
        local_options["max_tokens"] = 48
    model = make_llm("local", **local_options)
    options = {"max_steps": 3} if args.small else {}
    calls = []
    generate = model._generate

    def logged(prompt, stop, max_tokens):  # per-call figures, seen where the backend reports them
        reply = generate(prompt, stop, max_tokens)
        kind = "reflect" if prompt.rstrip().endswith("Reflection:") else "act"
        calls.append((kind, reply.input_tokens, reply.cached_tokens, reply.latency_s))
        return reply

    model._generate = logged
    cold_share = None
    if not args.cold_only:  # the warm-up episode: another question, the same run settings
        warmup = load_hotpotqa(SAMPLE).iloc[[(args.question + args.questions) % 100]]
        with tempfile.TemporaryDirectory() as root:
            cold = run_trials("react", warmup, strategy="reinagent", n_trials=args.trials, llm=model,
                              evaluator=never, root=root, run_name="p4-warmup", cache=False,
                              progress=False, **options)
        cold_share = cold.cached_tokens.sum() / max(1, cold.input_tokens.sum())
        print(f"cold episode (first in a fresh process, question {warmup.id.iloc[0]}): "
              f"{int(cold.cached_tokens.sum())} of {int(cold.input_tokens.sum())} prompt tokens from the "
              f"KV cache = {cold_share:.1%}")
        calls.clear()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as root:
        frame = run_trials("react", question, strategy="reinagent", n_trials=args.trials, llm=model,
                           evaluator=never, root=root, run_name="p4", cache=False, progress=False,
                           **options)
    wall = time.perf_counter() - started

    print(f"P4 KV prefix reuse: ReAct + REINAGENT, {args.trials} trials, questions {list(question.id)}, "
          f"model {model.name}, max_tokens {model.max_tokens}{', max_steps 3' if args.small else ''}, "
          f"saved KV states {'on' if args.kv_states else 'off'}")
    print(f"{'call':>4} {'kind':>7} {'prompt':>7} {'cached':>7} {'evaluated':>9} {'share':>6} {'seconds':>7}")
    for i, (kind, prompt_tokens, cached, latency) in enumerate(calls, 1):
        print(f"{i:>4} {kind:>7} {prompt_tokens:>7} {cached:>7} {prompt_tokens - cached:>9} "
              f"{cached / prompt_tokens:>6.1%} {latency:>7.2f}")
    for row in frame.itertuples():
        print(f"{row.sample_id} trial {row.trial}: {row.llm_calls} calls, {row.input_tokens} prompt tokens, "
              f"{row.cached_tokens} cached, error={row.error}")
    errors = frame.error.notna().sum()
    total_in, total_cached = int(frame.input_tokens.sum()), int(frame.cached_tokens.sum())
    first_call = calls[0][1] if calls else 0
    share = total_cached / total_in if total_in else 0.0
    print(f"calls {len(calls)}, prompt tokens {total_in}, served from the KV cache {total_cached}, "
          f"evaluated {total_in - total_cached} (the first call alone: {first_call}), errors {errors}, "
          f"wall {wall:.1f} s")
    label = "cold episode" if args.cold_only else "in-run episode"
    print(f"share of prompt tokens from the KV prefix cache, {label}: {share:.1%} (target >= 90%)"
          + (f"; cold episode: {cold_share:.1%}" if cold_share is not None else ""))
    print(f"RESULT p4_kv_share {share:.4f}")
    return share


if __name__ == "__main__":
    main()
