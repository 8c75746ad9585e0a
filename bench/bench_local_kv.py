"""KV prefix reuse on the embedded model: a ~1,500-token prompt cold, then the same prompt plus
~20 tokens (what an agent's next step looks like: same few-shots, scratchpad one line longer).

llama.cpp keeps the last call's KV state; ``LocalLLM`` lets it evaluate only the new suffix and
reports the reused part as ``cached_tokens``. Cold = a prompt whose prefix is not in the KV state;
warm = the same prompt extended. Each round uses a fresh prefix so every cold call is really cold.

    python bench/bench_local_kv.py [--rounds 2] [--tokens 1500]

Last line: ``RESULT local_kv_reuse_speedup <cold / warm median latency>``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import common  # noqa: F401  (puts the repo on sys.path)

from agents.llm import make_llm  # noqa: E402

FACTS = ["The Opry Mills mall opened in Nashville in 2000 on the site of the Opryland theme park.",
         "Arthur's Magazine was an American literary periodical published in Philadelphia.",
         "The W. H. Shipman House is a historic house in Hilo, in the county of Hawaii.",
         "First for Women is a woman's magazine published by Bauer Media Group in the USA."]


def prompt_of(round_no: int, tokens: int, llm) -> str:
    lines = [f"Round {round_no}: read these notes, then answer."]
    while llm.count_tokens("\n".join(lines)) < tokens:
        n = len(lines)
        lines.append(f"Note {n}: {FACTS[n % len(FACTS)]}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    small = os.environ.get("BENCH_SMALL") == "1"  # the CI size: one round
    parser.add_argument("--rounds", type=int, default=1 if small else 2)
    parser.add_argument("--tokens", type=int, default=1500)
    parser.add_argument("--max-tokens", type=int, default=8)
    args = parser.parse_args(argv)

    llm = make_llm("local")
    started = time.perf_counter()
    llm.complete("Warm up.", max_tokens=1)  # loads the model: not part of any timing
    print(f"model {llm.name}: loaded in {time.perf_counter() - started:.2f} s")
    cold, warm, shares = [], [], []
    for round_no in range(1, args.rounds + 1):
        prompt = prompt_of(round_no, args.tokens, llm)
        first = llm.complete(prompt + "\nQuestion: Where is Opry Mills?\nAnswer:", max_tokens=args.max_tokens)
        second = llm.complete(prompt + "\nQuestion: Where is Opry Mills?\nAnswer: Nashville.\n"
                              "Question: Which magazine was published in Philadelphia?\nAnswer:",
                              max_tokens=args.max_tokens)
        cold.append(first.latency_s)
        warm.append(second.latency_s)
        shares.append(second.cached_tokens / second.input_tokens)
        print(f"round {round_no}: cold {first.input_tokens} tokens ({first.cached_tokens} cached) "
              f"{first.latency_s:.2f} s | warm {second.input_tokens} tokens ({second.cached_tokens} cached, "
              f"{shares[-1]:.1%}) {second.latency_s:.2f} s")
    cold_s, warm_s = statistics.median(cold), statistics.median(warm)
    print(f"median cold {cold_s:.2f} s, median warm {warm_s:.2f} s, cached share {statistics.mean(shares):.1%}")
    print(f"RESULT local_kv_reuse_speedup {cold_s / warm_s:.1f}")


if __name__ == "__main__":
    main()
