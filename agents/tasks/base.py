"""What every task shares: defaults for the :class:`~agents.types.Task` contract and the repo's paths.

A task subclasses :class:`BaseTask`, fills in its names and overrides what it has: its samples,
its prompts, its environment, its feedback sources, its scores, its reference curves.

>>> class Toy(BaseTask):
...     name, title, unit, agents, runs_dir = "toy", "Toy", "items", ("cot",), "toy_runs"
>>> Toy().runs_root.parts[-2:]
('toy_runs', 'root')
>>> Toy().paper_curves()
{}
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any, Iterable

from ..types import FeedbackSource, Sample, TaskOption

REPO_ROOT = Path(__file__).resolve().parents[2]


class BaseTask:
    name = "task"
    title = "Task"
    unit = "samples"
    agents: tuple[str, ...] = ()
    feedback_sources: tuple[str, ...] = ("oracle",)
    primary_score = "correct"
    runs_dir = "runs"
    # How reports name the per-trial share and what it means (HumanEval: "pass@1"), and what an
    # attempt's ``answer`` holds: "text" (an answer), "code" (a program: shown as a block with its
    # whitespace) or "action" (the last command sent; the environment, not the answer, decides).
    metric = "success"
    metric_note = "latest answer after trial k is correct"
    answer_format = "text"
    # Its own ``run`` options (the CLI adds them; the engine never names them), and which of the
    # keywords go to :meth:`environment` rather than to the agents.
    options: tuple[TaskOption, ...] = ()
    environment_options: tuple[str, ...] = ()

    @property
    def runs_root(self) -> Path:
        """``<repo>/<runs_dir>/root``: where this task's run folders go by default."""
        return REPO_ROOT / self.runs_dir / "root"

    @property
    def default_feedback(self) -> str:
        return self.feedback_sources[0]

    def check_agent(self, agent: str) -> str:
        if agent not in self.agents:
            raise ValueError(f"unknown agent {agent!r} for task {self.name}; "
                             f"choose one of: {', '.join(self.agents)}")
        return agent

    def check_feedback(self, source: str | None) -> str:
        source = FeedbackSource.parse(source or self.default_feedback).value
        if source not in self.feedback_sources:
            raise ValueError(f"task {self.name} offers feedback {', '.join(self.feedback_sources)}; "
                             f"not {source!r}")
        return source

    def data_status(self) -> str:
        return "ready"

    def to_samples(self, items: Iterable[Any]) -> list[Sample]:
        """Samples from samples, or from the task's own record dicts (a DataFrame too)."""
        if hasattr(items, "to_dict") and hasattr(items, "columns"):
            items = items.to_dict("records")
        samples = [item if isinstance(item, Sample) else self.sample_from(item) for item in items]
        if not samples:
            raise ValueError(f"no {self.unit} to run")
        return samples

    def sample_from(self, record: dict[str, Any]) -> Sample:
        raise TypeError(f"task {self.name} takes Sample objects")

    def default_options(self, agent: str) -> dict[str, Any]:
        """Agent options this task sets by default (a caller's options win)."""
        return {}

    def options_from_cli(self, given: dict[str, Any], agent: str) -> dict[str, Any]:
        """Keyword options from the :attr:`options` the user gave, by their ``option`` name; a task
        overrides it where a flag means more than its value (``--stop-on-cycles``). A ``feedback``
        key sets the run's feedback source.

        >>> BaseTask().options_from_cli({"max_steps": 8}, "react")
        {'max_steps': 8}
        """
        return dict(given)

    def split_options(self, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(agent options, environment options)``: the keywords in :attr:`environment_options` go
        to :meth:`environment`, the rest to the agents.

        >>> class Docs(BaseTask):
        ...     environment_options = ("docstore",)
        >>> Docs().split_options({"docstore": "offline", "max_steps": 6})
        ({'max_steps': 6}, {'docstore': 'offline'})
        """
        agent = {k: v for k, v in options.items() if k not in self.environment_options}
        return agent, {k: v for k, v in options.items() if k in self.environment_options}

    def prompts(self, agent: str) -> dict[str, str]:
        return {}

    def environment(self, agent: str, samples: list[Sample] | None = None, **options: Any) -> Any:
        return None

    def describe_environment(self, environment: Any) -> dict[str, Any]:
        return {}

    def target_of(self, sample: Sample) -> Any:
        """The ground truth as recorded beside each attempt (for logs; None to leave it out)."""
        return sample.target

    def _paper(self) -> Any:
        """The task package's ``paper`` module (its logged reference numbers), or None."""
        try:
            return importlib.import_module(".paper", type(self).__module__)
        except ModuleNotFoundError:
            return None

    def paper_curves(self, agent: str | None = None) -> dict[str, list[float]]:
        """The original's logged success per trial by label: the package's ``paper.paper_curves``."""
        paper = self._paper()
        return paper.paper_curves(agent) if paper else {}

    def paper_n(self, label: str) -> int | None:
        """How many samples a reference curve was measured on, so a plot can say so when the run's
        size differs: the package's ``paper.paper_n(label)``, else a count the label states
        ("..., 164 problems)"), else None.

        >>> BaseTask().paper_n("original run (GPT-4, logged, 1,000 samples)")
        1000
        """
        paper = self._paper()
        if paper is not None and hasattr(paper, "paper_n"):
            return paper.paper_n(label)
        found = re.search(rf"(\d[\d,]*) {re.escape(self.unit)}\b", label)
        return int(found.group(1).replace(",", "")) if found else None

    def paper_agent(self, label: str) -> str | None:
        """Which agent type a reference curve belongs to (so a plot draws it in that colour)."""
        paper = self._paper()
        return paper.paper_agent(label) if paper and hasattr(paper, "paper_agent") else None

    def estimate(self, agent: str, samples: list[Sample], model: Any, n_trials: int,
                 prompts: dict[str, str], options: dict[str, Any], reflects: bool) -> dict[str, int]:
        """An upper bound on calls and input tokens (every attempt fails, every step is taken)."""
        steps = int(options.get("max_steps", 1))
        max_tokens = options.get("max_tokens") or model.max_tokens
        calls = input_tokens = 0
        for sample in samples:
            base = model.count_tokens(prompts.get("template", "") + prompts.get("examples", "") + sample.input)
            calls += n_trials * steps + (n_trials - 1) * int(reflects)
            input_tokens += n_trials * sum(base + k * (max_tokens + 150) for k in range(steps))
            if reflects:
                reflect = model.count_tokens(prompts.get("reflect_examples", "")) + steps * (max_tokens + 150)
                input_tokens += (n_trials - 1) * reflect
        return {"calls": calls, "input_tokens": input_tokens, "output_tokens": calls * max_tokens}
