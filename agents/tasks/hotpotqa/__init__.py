"""HotPotQA (Yang et al., 2018): multi-hop questions, the paper's reasoning task.

Agents: ``react`` (Search/Lookup over a docstore), ``cot_context`` (chain of thought over the gold
paragraphs) and ``cot_no_context`` (from memory). Feedback: ``oracle`` (exact match with the gold
answer, the paper's and the default), ``self`` (the actor checks its own attempt) and ``judge`` (a
separate model checks it); EM and F1 are recorded for every attempt whatever the feedback.

>>> TASK.name, TASK.unit, TASK.primary_score, TASK.feedback_sources
('hotpotqa', 'questions', 'em', ('oracle', 'self', 'judge'))
>>> s = TASK.sample_from({"id": "q1", "question": "Who wrote Dune?", "answer": "Frank Herbert"})
>>> TASK.score(s, type("A", (), {"answer": "frank herbert"})())
{'em': True, 'f1': 1.0}
"""
from __future__ import annotations

from typing import Any

from ...cli_types import positive_int
from ...types import Sample, TaskOption
from ..base import BaseTask


class HotPotQATask(BaseTask):
    name = "hotpotqa"
    title = "HotPotQA"
    unit = "questions"
    agents = ("react", "cot_context", "cot_no_context")
    feedback_sources = ("oracle", "self", "judge")
    primary_score = "em"
    runs_dir = "hotpot_runs"
    options = (
        TaskOption("--docstore", "docstore", {
            "choices": ("offline", "live"),
            "help": "react's Wikipedia: HotPotQA's paragraphs offline (all 100 questions' pages; the "
                    "default), or live Wikipedia"}, agents=("react",)),
        TaskOption("--max-steps", "max_steps", {
            "type": positive_int, "metavar": "N", "help": "react's step limit (default 6, the original's)"},
            agents=("react",)),
        TaskOption("--max-prompt-tokens", "max_prompt_tokens", {
            "type": positive_int, "metavar": "N",
            "help": "react halts once its prompt passes N tokens (default: 3896, the original's)"},
            agents=("react",)),
    )
    environment_options = ("docstore", "data_path")

    def data_status(self) -> str:
        from .data import ENV_VAR, describe_source

        try:
            return describe_source()
        except FileNotFoundError as error:
            return f"missing: {error} (set {ENV_VAR}; see hotpot_runs/data/README.md)"

    def load(self, n: int | None = None, seed: int = 0, path: str | None = None) -> list[Sample]:
        from .data import load_hotpotqa

        return self.to_samples(load_hotpotqa(path, n=n, seed=seed, at_most=True))  # like every task: at most all

    def sample_from(self, record: dict[str, Any]) -> Sample:
        missing = [f for f in ("id", "question", "answer") if f not in record]
        if missing:
            raise ValueError(f"HotPotQA record {record.get('id', '?')!r} is missing field {missing[0]!r}")
        return Sample(id=str(record["id"]), input=record["question"], target=record["answer"],
                      data=dict(record))

    def default_options(self, agent: str) -> dict[str, Any]:
        from ...strategies import LAST_ATTEMPT_TOKENS

        # The original trimmed the failed trace a reflection reads to ~1,600 tokens (recorded in
        # the manifest; reflect_trace_tokens=None reads half the model's window instead).
        return {"reflect_trace_tokens": LAST_ATTEMPT_TOKENS}

    def prompts(self, agent: str) -> dict[str, str]:
        from .prompts import default_prompts

        return default_prompts(self.check_agent(agent))

    def environment(self, agent: str, samples: list[Sample] | None = None, docstore: Any = "offline",
                    data_path: str | None = None, **options: Any) -> Any:
        """ReAct's docstore. Offline, it holds the paragraphs of the *whole* data file (plus any
        given samples'), so runs of 2 and of 100 questions search the same pages."""
        if agent != "react":
            return None
        if not isinstance(docstore, str):
            return docstore
        from .docstore import make_docstore

        if docstore != "offline":
            return make_docstore(docstore)
        from .data import load_hotpotqa

        records = [s.data for s in samples or [] if s.data.get("context")]
        try:
            records = load_hotpotqa(data_path).to_dict("records") + records
        except (FileNotFoundError, RuntimeError):
            if not records:
                raise
        return make_docstore("offline", records=records)

    def describe_environment(self, environment: Any) -> dict[str, Any]:
        if environment is None:  # chain of thought: no tools (cot_context reads its gold paragraphs)
            return {"kind": "none", "label": "no tools"}
        from .docstore import OfflineDocstore

        if isinstance(environment, OfflineDocstore):
            return {"kind": "offline docstore", "pages": len(environment),
                    "label": f"offline docstore, {len(environment)} pages"}
        kind = type(environment).__name__
        return {"kind": kind, "label": "live Wikipedia" if kind == "WikipediaDocstore" else kind}

    def build_agent(self, agent: str, sample: Sample, *, llm: Any, reflect_llm: Any, strategy: Any,
                    feedback: Any, environment: Any, **options: Any) -> Any:
        from .actors import CoTAgent, ReactAgent
        from .data import supporting_context

        common = dict(llm=llm, reflect_llm=reflect_llm, strategy=strategy, sample_id=sample.id,
                      feedback=feedback, task=self.name, **options)
        if agent == "react":
            return ReactAgent(sample.input, docstore=environment, **common)
        if agent == "cot_context":
            return CoTAgent(sample.input, context=supporting_context(sample.data), **common)
        if agent == "cot_no_context":
            return CoTAgent(sample.input, context=None, **common)
        self.check_agent(agent)

    def feedback(self, source: str, sample: Sample, *, llm: Any, judge_llm: Any = None) -> Any:
        from . import feedback

        source = self.check_feedback(source)
        if source == "oracle":
            return feedback.oracle(sample.target)
        if source == "judge" and judge_llm is None:
            raise ValueError("judge feedback needs a judge model: --judge-llm SPEC (judge_llm= in Python)")
        return feedback.model_check(source, sample.input, judge_llm if source == "judge" else llm)

    def score(self, sample: Sample, attempt: Any) -> dict[str, Any]:
        from .scoring import exact_match, f1

        return {"em": exact_match(attempt.answer, sample.target),
                "f1": round(f1(attempt.answer, sample.target), 4)}



    def estimate(self, agent: str, samples: list[Sample], model: Any, n_trials: int,
                 prompts: dict[str, str], options: dict[str, Any], reflects: bool) -> dict[str, int]:
        from .data import supporting_context

        if agent == "cot_context":  # the context is part of every prompt
            samples = [Sample(s.id, s.input + supporting_context(s.data), s.target) for s in samples]
        options = {"max_steps": options.get("max_steps", 6) if agent == "react" else 1, **options}
        if agent != "react":
            options["max_steps"] = 1
        return super().estimate(agent, samples, model, n_trials, prompts, options, reflects)


TASK = HotPotQATask()
