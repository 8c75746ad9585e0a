"""The ALFWorld engine's own costs, on the kit's suite (alfworld 0.4.2, offline):

- engine start: importing alfworld/textworld and building the first game's ``AlfredTWEnv``;
- reset: ``AlfWorldGame.reset()`` (reloads and re-grounds the game's PDDL), median;
- step: one ``AlfWorldGame.step()`` along the winning plans, median (and 90th percentile);
- full game: reset + the whole winning plan, median per game and the suite's total.

No model is involved: these are the floors under an ALFWorld trial's wall time. CPU time (this
process) is printed beside wall time: on a busy machine the wall figures swing, the CPU ones less.

    python bench/bench_alfworld_engine.py               # 12 games x 3 rounds
    BENCH_SMALL=1 python bench/bench_alfworld_engine.py # 3 games x 1 round (CI, a few seconds)
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from common import REPO  # noqa: F401  (puts the repo on sys.path)


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", default=os.environ.get("BENCH_SMALL") == "1",
                        help="CI size: 3 games, 1 round")
    parser.add_argument("--games", type=int, default=None, help="games of the suite to play (default 12, small 3)")
    parser.add_argument("--rounds", type=int, default=None, help="times each game is played (default 3, small 1)")
    args = parser.parse_args(argv)
    n_games = args.games or (3 if args.small else 12)
    rounds = args.rounds or (1 if args.small else 3)

    from agents.tasks.alfworld.env import SUITE_ROOT, AlfWorldGame, engine_version, import_alfworld
    from agents.tasks.alfworld.suite_spec import SUITE

    started = time.perf_counter()
    import_alfworld()
    imported = time.perf_counter() - started

    specs = SUITE[:n_games]
    resets, steps, games, first = [], [], [], None
    reset_cpu, step_cpu = [], []
    for spec in specs:
        with AlfWorldGame(SUITE_ROOT / spec.relpath) as game:
            for _ in range(rounds):
                t0, c0 = time.perf_counter(), time.process_time()
                game.reset()
                t1, c1 = time.perf_counter(), time.process_time()
                if first is None:
                    first = t1 - t0        # includes building AlfredTWEnv; not counted as a reset
                else:
                    resets.append(t1 - t0)
                    reset_cpu.append(c1 - c0)
                for action in spec.win:
                    s0, sc = time.perf_counter(), time.process_time()
                    game.step(action)
                    steps.append(time.perf_counter() - s0)
                    step_cpu.append(time.process_time() - sc)
                if not game.won:
                    raise SystemExit(f"{spec.folder}: the winning plan did not win; run the tests")
                games.append(time.perf_counter() - t0)

    versions = ", ".join(f"{k} {v}" for k, v in engine_version().items())
    step_ms = statistics.median(steps) * 1000
    p90_ms = statistics.quantiles(steps, n=10)[-1] * 1000 if len(steps) >= 10 else max(steps) * 1000
    print(f"ALFWorld engine: {len(specs)} suite games x {rounds} round(s), winning plans ({versions})")
    print(f"engine import: {imported:.2f} s; first reset (builds AlfredTWEnv, loads the game): {first:.2f} s")
    if resets:
        print(f"reset: median {statistics.median(resets):.3f} s (cpu {statistics.median(reset_cpu):.3f} s), "
              f"max {max(resets):.3f} s over {len(resets)}")
    print(f"step: median {step_ms:.1f} ms (cpu {statistics.median(step_cpu) * 1000:.1f} ms), "
          f"p90 {p90_ms:.1f} ms over {len(steps)} steps")
    print(f"full winning game (reset + plan): median {statistics.median(games):.2f} s, "
          f"{len(games)} games in {sum(games):.1f} s")
    print(f"RESULT alfworld_step_ms {step_ms:.2f}")
    return step_ms


if __name__ == "__main__":
    main()
