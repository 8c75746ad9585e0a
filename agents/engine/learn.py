"""``python -m agents learn``: run trials on the training samples, learn a memory from their
records, and write it to a file that ``python -m agents run --memory FILE`` shows to test samples.

The training run is an ordinary run folder (under ``--runs-root``, default ``<FILE's folder>/
learn_runs``), so it resumes, is cached and can be read like any other; the method (``notes``,
``expel``, ``ace``: :mod:`agents.memory.transfer`) then reads every final record and the samples,
and may call the model; its calls are counted with the training run's in ``learn_usage``.

>>> import tempfile, os
>>> from agents.llm import CallableLLM
>>> from agents.types import Sample
>>> model = CallableLLM(lambda p: " Hm.\\nAction: Finish[4]", name="four")
>>> samples = [Sample("q1", "2+2?", "4"), Sample("q2", "3+3?", "6")]
>>> where = tempfile.mkdtemp()
>>> memory = learn("hotpotqa", "cot_no_context", "notes", samples=samples, n_trials=2, llm=model,
...                out=os.path.join(where, "memory.json"), cache=False)
>>> memory.method, memory.train_ids, memory.feedback, memory.learn_usage["llm_calls"]
('notes', ['q1', 'q2'], 'oracle', 4)
>>> sorted(os.listdir(where))
['learn_runs', 'memory.json']
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Sequence

from ..memory.transfer import LearntMemory, get_method, method_names
from ..memory.transfer.meter import Metered
from ..memory.transfer.splits import DEFAULT_SEED, DEFAULT_TRAIN_FRACTION, SplitSpec, load_split
from .trials.spec import _sha  # the run's prompt hash: a memory's hashes compare with a run's


def _run_usage(history: list[dict[str, Any]]) -> dict[str, Any]:
    """What every recorded attempt of the training run cost (retries after errors included)."""
    return {"llm_calls": sum(int(r.get("llm_calls") or 0) for r in history),
            "input_tokens": sum(int(r.get("input_tokens") or 0) for r in history),
            "output_tokens": sum(int(r.get("output_tokens") or 0) for r in history),
            "cost_usd": round(sum(float(r.get("cost_usd") or 0.0) for r in history), 6)}


def learn(task: Any, agent: str, method: str, *, out: str | Path, samples: Sequence[Any] | None = None,
          split: str = "train", split_spec: SplitSpec | None = None, n: int | None = None,
          data_path: str | None = None, n_trials: int = 3, strategy: Any = None, feedback: str | None = "oracle",
          llm: Any = "local", reflect_llm: Any = None, runs_root: str | Path | None = None,
          run_name: str | None = None, concurrency: int = 1, cache: bool = True, progress: bool = False,
          **agent_options: Any) -> LearntMemory:
    """Run ``n_trials`` on the training samples (``samples``, else split ``split`` of the task by
    ``split_spec``, the first ``n``), learn ``method``'s content from the records, write ``out``."""
    from ..strategies import default_strategy
    from ..tasks import get_task
    from .runner import run_trials
    from .runs import Run
    from ..llm import as_llm, make_llm

    task = get_task(task)
    chosen = get_method(method)                 # an unknown method fails before any model call
    split_spec = split_spec or SplitSpec()
    if samples is None:
        samples = load_split(task, split, split_spec, n=n, path=data_path)
    samples = task.to_samples(samples)
    model = make_llm(llm) if isinstance(llm, str) else as_llm(llm)
    out = Path(out)
    frame = run_trials(agent, samples, task=task, strategy=strategy or default_strategy(task.name),
                       n_trials=n_trials, llm=model, reflect_llm=reflect_llm, feedback=feedback,
                       root=Path(runs_root) if runs_root else out.parent / "learn_runs", run_name=run_name,
                       concurrency=concurrency, cache=cache, progress=progress, **agent_options)
    if frame.attrs.get("stopped") and frame.attrs["stopped"] != "budget":
        raise RuntimeError(f"the training run stopped early ({frame.attrs['stopped']}: "
                           f"{frame.attrs.get('stop_message')}); no memory written. Run the same command "
                           f"again to resume it ({frame.attrs['run_dir']})")
    run = Run.read(frame.attrs["run_dir"])
    metered = Metered(model)
    content = chosen.learn(task=task, agent=agent, records=run.records, samples={s.id: s for s in samples},
                           llm=metered)
    spent = _run_usage(run.history())
    usage = {key: spent[key] + metered.usage.get(key, 0) for key in ("llm_calls", "input_tokens", "output_tokens")}
    usage.update(cost_usd=spent["cost_usd"], training_run=spent, method=dict(metered.usage),
                 run_dir=str(run.run_dir))
    prompts = {name: (v.get("sha256_16") if isinstance(v, dict) else str(v))
               for name, v in (run.manifest.prompts or {}).items()}
    prompts.update({f"method:{name}": _sha(text) for name, text in (getattr(chosen, "prompts", None) or {}).items()})
    memory = LearntMemory(method=chosen.name, content=content, train_ids=[s.id for s in samples], task=task.name,
                          agent=agent, model=model.identity(), feedback=run.feedback_source, prompt_hashes=prompts,
                          learn_usage=usage, split={**split_spec.to_json(split), "n": n} if n or split else {})
    memory.save(out)
    return memory


# ----------------------------------------------------------------------------------- the command
def add_split_options(parser: argparse.ArgumentParser, default: str | None) -> None:
    """``--split``, ``--split-seed``, ``--train-fraction``, ``--folds``, ``--fold`` (learn and run)."""
    parser.add_argument("--split", choices=("train", "test"), default=default,
                        help="which side of the task's seeded split to run (samples ranked by "
                             "sha256(seed:id); default 50/50)" + (f" (default: {default})" if default else
                                                                  "; with --memory the memory's split rule"))
    parser.add_argument("--split-seed", type=int, default=None, metavar="S",
                        help=f"the split's seed (default: {DEFAULT_SEED}, or the memory's)")
    parser.add_argument("--train-fraction", type=float, default=None, metavar="F",
                        help=f"share of samples in the training split (default: {DEFAULT_TRAIN_FRACTION})")
    parser.add_argument("--folds", type=int, default=None, metavar="K",
                        help="K-fold cross-validation: the test split is fold --fold, training the others")
    parser.add_argument("--fold", type=int, default=None, metavar="k", help="which fold (0..K-1) is held out")


def split_spec_of(args: argparse.Namespace, parser: argparse.ArgumentParser,
                  base: dict[str, Any] | None = None) -> SplitSpec:
    """The split rule the flags give, each unset one taken from ``base`` (a memory's split) if any."""
    base = base or {}
    pick = lambda flag, key, default: flag if flag is not None else base.get(key, default)  # noqa: E731
    try:
        return SplitSpec(seed=int(pick(args.split_seed, "seed", DEFAULT_SEED)),
                         train_fraction=float(pick(args.train_fraction, "train_fraction", DEFAULT_TRAIN_FRACTION)),
                         folds=pick(args.folds, "folds", None), fold=pick(args.fold, "fold", None))
    except ValueError as error:
        parser.error(str(error))


def _add_learn_options(parser: argparse.ArgumentParser) -> None:
    """The training run's options: those of ``run`` that apply to learning (and the tasks' own)."""
    from ..cli_options import (add_task_options as _add_task_options, max_reflections_arg as _max_reflections,
                               strategy_arg as _strategy, temperature_arg as _temperature)
    from ..cli_types import positive_float, positive_int
    from ..tasks import DEFAULT_TASK, task_names

    parser.add_argument("--task", default=DEFAULT_TASK, choices=task_names(), help="the benchmark (default: %(default)s)")
    parser.add_argument("--agent", metavar="AGENT", help="the agent type (default: the task's first)")
    parser.add_argument("--strategy", type=_strategy, metavar="NAME",
                        help="the training run's strategy (default: the task's Reflexion: its reflections "
                             "are what the methods learn from)")
    parser.add_argument("--feedback", metavar="SOURCE", default="oracle",
                        help="what decides a training retry (default: %(default)s; recorded in the memory)")
    parser.add_argument("--samples", "--questions", "--games", "--problems", dest="samples", type=positive_int,
                        metavar="N", help="the first N training samples of the split (default: all of them)")
    parser.add_argument("--trials", type=positive_int, default=3, metavar="T",
                        help="trials per training sample (default: %(default)s)")
    parser.add_argument("--llm", default="local", metavar="SPEC", help="the model (default: %(default)s)")
    parser.add_argument("--reflect-llm", metavar="SPEC", help="a different model for the reflections")
    parser.add_argument("--base-url", metavar="URL", action="append", help="an openai-compatible server")
    parser.add_argument("--endpoint", choices=("completions", "chat"), help="the openai-compatible endpoint")
    parser.add_argument("--temperature", type=_temperature, default=0.0, metavar="T",
                        help="sampling temperature (default: %(default)s)")
    parser.add_argument("--timeout", type=positive_float, metavar="S", help="openai-style request timeout")
    parser.add_argument("--max-reflections", type=_max_reflections, metavar="K|all", default=argparse.SUPPRESS,
                        help="reflections shown per training attempt (default: the strategy's)")
    parser.add_argument("--concurrency", type=positive_int, default=1, metavar="K",
                        help="training samples in flight at once (default: %(default)s)")
    parser.add_argument("--run-name", metavar="NAME", help="the training run folder's name (the same resumes)")
    parser.add_argument("--data", metavar="PATH", help="the task's data (as for `run`)")
    parser.add_argument("--no-cache", action="store_true", help="call the model even for prompts answered before")
    parser.add_argument("--out", required=True, metavar="FILE", help="the memory file to write (JSON)")
    _add_task_options(parser)


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "learn", help="learn a memory on the training split and write it to a file",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run trials on the training samples (the task's seeded split, --split train), let a\n"
                    "method learn from their records, and write the memory to --out FILE (JSON: method,\n"
                    "content, training ids, model, feedback, prompts' hashes, tokens spent). Show it to\n"
                    "the test samples with `python -m agents run --split test --memory FILE`.",
        epilog="example:\n  python -m agents learn --task hotpotqa --agent cot_no_context --method expel "
               "--samples 20 --trials 3 --out memory.json\n"
               "  python -m agents run --task hotpotqa --agent cot_no_context --strategy none --trials 1 "
               "--split test --memory memory.json")
    parser.add_argument("--method", required=True, metavar="M",
                        help=f"how the memory is learnt: {', '.join(method_names())}")
    parser.add_argument("--runs-root", metavar="DIR",
                        help="where the training run folder goes (default: <FILE's folder>/learn_runs)")
    _add_learn_options(parser)
    add_split_options(parser, default="train")
    parser.set_defaults(handler=_handle)
    return parser


def _handle(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..cli_options import build_llm as _build_llm, task_options as _task_options
    from ..strategies import ReinAgentStrategy, default_strategy
    from ..tasks import get_task

    if args.method not in method_names():
        parser.error(f"argument --method: invalid choice: {args.method!r} (choose from {', '.join(method_names())})")
    task = get_task(args.task)
    agent = args.agent or task.agents[0]
    if agent not in task.agents:
        parser.error(f"argument --agent: invalid choice: {agent!r} for --task {task.name} "
                     f"(choose from {', '.join(task.agents)})")
    try:
        strategy = ReinAgentStrategy.parse(args.strategy or default_strategy(task.name), task=task.name)
        task.check_feedback(args.feedback)
    except ValueError as error:
        parser.error(str(error))
    options = _task_options(args, task, agent, parser)
    if hasattr(args, "max_reflections"):
        options["max_reflections"] = args.max_reflections
    spec = split_spec_of(args, parser)
    llm = _build_llm(args.llm, args.base_url, args.endpoint, args.temperature, args.timeout)
    reflect_llm = _build_llm(args.reflect_llm, args.base_url, args.endpoint) if args.reflect_llm else None
    memory = learn(task, agent, args.method, out=args.out, split=args.split, split_spec=spec, n=args.samples,
                   data_path=args.data, n_trials=args.trials, strategy=strategy, feedback=args.feedback,
                   llm=llm, reflect_llm=reflect_llm, runs_root=args.runs_root, run_name=args.run_name,
                   concurrency=args.concurrency, cache=not args.no_cache, progress=True, **options)
    usage = memory.learn_usage
    print(f"{task.name} {agent}: learnt {memory.method} on {len(memory.train_ids)} {task.unit} "
          f"({spec.describe()}, {args.split} split), {memory.feedback} feedback, model {llm.name}")
    print(f"spent learning: {usage['llm_calls']} calls, {usage['input_tokens']} input + "
          f"{usage['output_tokens']} output tokens (training run {usage['run_dir']})")
    print(f"memory: {args.out} (digest {memory.digest()[:12]}); read it with "
          f"`python -m agents memory show {args.out}`")
    return 0
