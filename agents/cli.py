"""The command line: ``python -m agents run ...`` runs trials, ``python -m agents plot ...`` compares runs.

Arguments are checked before anything is loaded: a bad value is an argparse error (exit 2); a
failure while running (a run folder that refuses to resume, a missing data file, an unreachable
server) is one line ``error: ...`` (exit 1). ``--verbose`` shows the traceback instead.

>>> build_parser().parse_args(["run", "--agent", "react", "--strategy", "last_attempt"]).trials
5
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

from .runner import AGENT_TYPES, DEFAULT_ROOT, ResumeRefused
from .strategies import ReinAgentStrategy

STRATEGIES = ("none", "last_attempt", "reinagent", "last_attempt_and_reinagent")

EXAMPLES = """examples:
  # the embedded Gemma 3 270M, offline: 10 questions x 3 trials of CoT with the gold paragraphs
  python -m agents run --agent cot_context --strategy reinagent --questions 10 --trials 3

  # ReAct over the offline Wikipedia with OpenAI (needs OPENAI_API_KEY), 8 questions at a time
  python -m agents run --agent react --strategy reinagent --llm openai:gpt-4o-mini --concurrency 8

  # any OpenAI-compatible server: vLLM, llama.cpp server, Ollama (http://localhost:11434/v1)
  python -m agents run --agent react --llm openai-compatible:Qwen/Qwen2.5-7B-Instruct \\
      --base-url http://localhost:8000/v1

  # how many calls, tokens and dollars at most, without calling anything
  python -m agents run --agent react --llm openai:gpt-4o --dry-run

  # compare every run under a folder, with the paper's curves (approximate read-offs) dashed
  python -m agents plot hotpot_runs/root --paper --out comparison.png

Data: --data, else $HOTPOTQA_PATH, else hotpot_runs/data/ (downloaded there by `datasets` if online).
Running the same command again resumes the run folder; a changed model or prompt needs a new --run-name.
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m agents", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="reinAgent: Reflexion-style verbal reinforcement of language agents on HotPotQA.\n"
                    "An agent answers; if wrong, it writes a self-reflection and tries again with it.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="run N questions x T trials and plot success rate per trial",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES,
        description="Run trials: trial 1 answers every question; each later trial retries the\n"
                    "unsolved ones with the strategy's memory. Prints the per-trial table and\n"
                    "writes the run folder OUT/<agent>/<strategy>/<run-name>/: attempts.jsonl,\n"
                    "manifest.json, summary.csv, log.txt and success_rate.png/.svg.")
    run.add_argument("--agent", required=True, choices=AGENT_TYPES,
                     help="react: Search/Lookup over Wikipedia; cot_context: chain of thought over "
                          "the gold paragraphs; cot_no_context: chain of thought from memory")
    run.add_argument("--strategy", default="reinagent", choices=STRATEGIES,
                     help="what a retry is shown: nothing, the last attempt, the reflections, or "
                          "both (default: %(default)s)")
    run.add_argument("--questions", type=_positive_int, default=100, metavar="N",
                     help="questions to sample from the data, seed --seed (default: %(default)s)")
    run.add_argument("--trials", type=_positive_int, default=5, metavar="T",
                     help="trials per question (default: %(default)s)")
    run.add_argument("--llm", default="local", metavar="SPEC",
                     help="local | local:<file.gguf> | openai:<model> | openai-compatible:<model> "
                          "(default: %(default)s, the embedded Gemma 3 270M)")
    run.add_argument("--reflect-llm", metavar="SPEC",
                     help="a different model for the reflections (default: --llm)")
    run.add_argument("--base-url", metavar="URL",
                     help="the server of an openai-compatible model, e.g. http://localhost:8000/v1")
    run.add_argument("--docstore", choices=("offline", "live"), default="offline",
                     help="react's Wikipedia: HotPotQA's paragraphs offline, or live Wikipedia "
                          "(default: %(default)s)")
    run.add_argument("--concurrency", type=_positive_int, default=1, metavar="K",
                     help="questions in flight at once (default: %(default)s; the embedded model "
                          "runs one at a time)")
    run.add_argument("--run-name", metavar="NAME",
                     help="the run folder's name (default: <model>-<N>q); the same name resumes")
    run.add_argument("--out", default=str(DEFAULT_ROOT), metavar="DIR",
                     help="results root (default: hotpot_runs/root)")
    run.add_argument("--data", metavar="PATH", help="a HotPotQA JSONL file (default: $HOTPOTQA_PATH)")
    run.add_argument("--seed", type=int, default=0, metavar="S",
                     help="which questions are sampled (default: %(default)s)")
    run.add_argument("--no-cache", action="store_true",
                     help="call the model even for prompts already answered (the response cache "
                          "is $XDG_CACHE_HOME/reinagent)")
    run.add_argument("--budget-usd", type=_non_negative_float, metavar="X",
                     help="stop cleanly once the spend reaches X dollars")
    run.add_argument("--dry-run", action="store_true",
                     help="print an upper bound on calls, tokens and cost; call and write nothing")
    run.add_argument("--verbose", action="store_true",
                     help="print every trajectory as it finishes, and tracebacks on errors")
    run.set_defaults(handler=_run)

    plot = commands.add_parser(
        "plot", help="compare runs: success rate per trial, one line per agent/strategy",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Plot success rate per trial of run folders, or of every run folder under a\n"
                    "results root (<agent>/<strategy>/<run-name>/).")
    plot.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run folders or results roots")
    plot.add_argument("--out", default="success_rate_comparison.png", metavar="FILE",
                      help="the figure; a .png also gets a .svg beside it (default: %(default)s)")
    plot.add_argument("--paper", action="store_true",
                      help="overlay the Reflexion paper's HotPotQA curves (approximate read-offs "
                           "of Fig. 4), dashed")
    plot.add_argument("--title", help="the figure's title")
    plot.set_defaults(handler=_plot)

    # `python -m agents --help` documents everything: the subcommands' own help follows.
    parser.epilog = "\n".join(f"{'=' * 20} python -m agents {name} {'=' * 20}\n{sub.format_help()}"
                              for name, sub in (("run", run), ("plot", plot)))
    parser.set_defaults(parsers={"run": run, "plot": plot})
    return parser


def _takes_base_url(spec: str) -> bool:
    return spec.startswith(("openai-compatible", "openai:"))


def _build_llm(spec: str, base_url: str | None) -> Any:
    """The model for ``spec``; ``base_url`` goes to the OpenAI-style backends only."""
    from .llm import make_llm

    return make_llm(spec, base_url=base_url) if base_url and _takes_base_url(spec) else make_llm(spec)


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .hotpotqa import load_hotpotqa
    from .plots import plot_success_rate, save_figure, summary_table
    from .runner import run_trials

    if args.data is not None and not Path(args.data).is_file():
        parser.error(f"--data: no such file: {args.data}")
    if args.base_url and not _takes_base_url(args.llm):
        parser.error(f"--base-url needs --llm openai-compatible:<model> (or openai:<model>), "
                     f"not {args.llm!r}")
    strategy = ReinAgentStrategy.parse(args.strategy)
    questions = load_hotpotqa(args.data, n=args.questions, seed=args.seed)
    llm = _build_llm(args.llm, args.base_url)
    reflect_llm = _build_llm(args.reflect_llm, args.base_url) if args.reflect_llm else None
    attempts = run_trials(args.agent, questions, strategy=strategy, n_trials=args.trials, llm=llm,
                          reflect_llm=reflect_llm, docstore=args.docstore,
                          concurrency=args.concurrency, run_name=args.run_name, root=args.out,
                          cache=not args.no_cache, budget_usd=args.budget_usd,
                          dry_run=args.dry_run, progress=True, verbose=args.verbose)
    if args.dry_run:
        print(attempts.T.to_string(header=False))
        return 0
    run_dir = Path(attempts.attrs["run_dir"])
    label = f"{args.agent}/{strategy.value}"
    print(f"{label}: {len(questions)} questions x {args.trials} trials, model {llm.name}")
    print(summary_table(attempts).to_string())
    if attempts.attrs.get("stopped"):
        print(f"stopped early ({attempts.attrs['stopped']}); everything finished is recorded")
    fig = plot_success_rate(attempts, title=f"{label} on HotPotQA ({llm.name})")
    png, svg = save_figure(fig, run_dir)
    _close(fig)
    print(f"plot: {png} (and {svg.name})")
    print(f"run folder: {run_dir}")
    return 0


def _plot(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .plots import (PAPER_HOTPOTQA, find_runs, load_run, plot_success_rate, run_label,
                        save_figure, success_curve)

    runs = []
    for path in args.runs:
        found = find_runs(path)
        if not found:
            parser.error(f"no run folder at or under {path} (a run folder has a manifest.json)")
        runs.extend(found)
    frames = [load_run(run) for run in runs]
    for frame in frames:
        trials, rates = success_curve(frame)
        final = f"{rates[-1]:.2f} after trial {trials[-1]}" if rates else "no attempts yet"
        print(f"{run_label(frame):40s} {final:24s} {frame.attrs['run_dir']}")
    fig = plot_success_rate(frames, paper=PAPER_HOTPOTQA if args.paper else None, title=args.title)
    out = Path(args.out)
    if out.suffix.lower() in ("", ".png"):
        paths = save_figure(fig, out.parent, out.stem)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, bbox_inches="tight")
        paths = [out]
    _close(fig)
    print("plot: " + ", ".join(str(p) for p in paths))
    return 0


def _close(fig: Any) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)  # main() may be called many times in one process (tests): free the figure


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the command, return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    subparser = args.parsers[args.command]
    try:
        return args.handler(args, subparser)
    except KeyboardInterrupt:
        print("interrupted: finished attempts are recorded; run the same command to resume",
              file=sys.stderr)
        return 130
    except (ResumeRefused, ValueError, FileNotFoundError) as error:
        if getattr(args, "verbose", False):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # backends' own errors (no server, no key): one line, not a traceback
        if getattr(args, "verbose", False):
            raise
        print(f"error: {type(error).__name__}: {error} (--verbose shows the traceback)", file=sys.stderr)
        return 1
