"""The ``run`` options that other commands share (``learn`` takes most of them): argument types,
the tasks' own options, and building the model from ``--llm``/``--base-url``. Here, not in
:mod:`agents.cli`, so a command in another module imports them without importing the CLI.

>>> temperature_arg("0.8"), max_reflections_arg("all"), trace_tokens_arg("half")
(0.8, None, None)
"""
from __future__ import annotations

import argparse
from typing import Any

from .cli_types import positive_int
from .strategies import ReinAgentStrategy, strategies_for
from .tasks import get_task, task_names

STRATEGIES = tuple(dict.fromkeys(s.arm.name for s in strategies_for(None)))  # every task's, HotPotQA's first


def strategy_arg(text: str) -> str:
    """Every spelling a user can see (``none``/``base``, ``last_attempt``/``last_trial``, ...); what
    it means is the task's (``reflexion`` on HumanEval is the programming loop), decided in ``run``."""
    try:
        ReinAgentStrategy.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from {', '.join(STRATEGIES)})") from None
    return text.strip()


def temperature_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def max_reflections_arg(text: str) -> int | None:
    return None if text.lower() in ("all", "none") else positive_int(text)


def task_flags() -> dict[str, list[tuple[Any, Any]]]:
    """Every task's own ``run`` options by flag: ``{flag: [(task, TaskOption), ...]}``."""
    flags: dict[str, list[tuple[Any, Any]]] = {}
    for name in task_names():
        try:
            task = get_task(name)
        except (ImportError, AttributeError):  # a task whose engine is not installed
            continue
        for option in task.options:
            flags.setdefault(option.flag, []).append((task, option))
    return flags


def task_dest(flag: str) -> str:
    return "task_option_" + flag.lstrip("-").replace("-", "_")


def add_task_options(run: argparse.ArgumentParser) -> None:
    """The tasks' own options, in one group: each task declares them (``Task.options``); a flag two
    tasks offer appears once, its help naming both. Unset, they are absent from the namespace, so
    the run knows which were given (and refuses one the chosen task does not offer)."""
    group = run.add_argument_group("task options (each applies to the tasks it names)")
    for flag, offers in task_flags().items():
        first = dict(offers[0][1].argparse)
        helps = []
        for task, option in offers:
            agents = f" ({', '.join(option.agents)})" if option.agents else ""
            helps.append(f"{task.name}{agents}: {option.argparse.get('help', '')}")
        first["help"] = "; ".join(helps).replace("%", "%%")
        group.add_argument(flag, dest=task_dest(flag), default=argparse.SUPPRESS, **first)


def takes_base_url(spec: str) -> bool:
    """Whether ``--llm spec`` takes ``--base-url`` (its backend says so in the registry)."""
    from .llm.registry import takes_base_url as registered

    return registered(spec)


def build_llm(spec: str, base_url: str | list[str] | None, endpoint: str | None = None,
               temperature: float | None = None, timeout: float | None = None) -> Any:
    """The model for ``spec``; ``base_url``, ``endpoint`` and ``timeout`` go to the OpenAI-style
    backends only. Several URLs (``--base-url`` repeated, or commas) make a pool of servers."""
    from .llm import make_llm
    from .llm.pool import split_urls

    urls = split_urls(base_url)
    base_url = urls if len(urls) > 1 else (urls[0] if urls else None)
    options = {"base_url": base_url, "endpoint": endpoint, "timeout": timeout} if takes_base_url(spec) else {}
    options = {k: v for k, v in options.items() if v}
    if temperature:
        options["temperature"] = temperature
    return make_llm(spec, **options) if options else make_llm(spec)


def trace_tokens_arg(text: str) -> int | None:
    return None if text.strip().lower() == "half" else positive_int(text)


def task_options(args: argparse.Namespace, task: Any, agent: str,
                  parser: argparse.ArgumentParser) -> dict[str, Any]:
    """The run's options from the task's own flags (each refused on a task or an agent it does not
    apply to, never ignored), the generic ones, and ``--data`` where the task's environment reads it."""
    options: dict[str, Any] = {}
    if hasattr(args, "reflect_trace_tokens"):  # only when given: the task's default otherwise
        options["reflect_trace_tokens"] = args.reflect_trace_tokens
    offered = {option.flag: option for option in task.options}
    given: dict[str, Any] = {}
    for flag, offers in task_flags().items():
        if not hasattr(args, task_dest(flag)):
            continue
        option = offered.get(flag)
        if option is None:
            owners = " or ".join(sorted({t.name for t, _ in offers}))
            parser.error(f"{flag} applies to --task {owners}, not {task.name}")
        if not option.applies(agent):
            parser.error(f"{flag} applies to the {' or '.join(option.agents)} agent, not {agent!r}")
        given[option.option] = getattr(args, task_dest(flag))
    options.update(task.options_from_cli(given, agent))
    feedback = options.pop("feedback", None)
    if feedback is not None:   # a flag that is a feedback source of its own (--visible-tests docstring)
        if args.feedback not in (None, feedback, feedback.split("+")[0]):
            parser.error(f"{' '.join(f for f in offered if hasattr(args, task_dest(f)))} means --feedback "
                         f"{feedback}; it cannot go with --feedback {args.feedback}")
        args.feedback = feedback
    if args.data is not None and "data_path" in task.environment_options:
        options["data_path"] = args.data
    return options
