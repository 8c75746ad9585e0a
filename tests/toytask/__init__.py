"""A fourth task that lives outside the kit: two-number sums, answered by the generic CoT actor.

It is what a researcher adding a benchmark writes: one package (samples, its own prompts and
few-shots, feedback, scores, one ``run`` option) and one registry line. Nothing in ``agents/``
names it; ``tests/test_task_contract.py`` runs it end to end and checks it against the contract.

>>> TASK.load(n=2, seed=1)[0].input
'What is 27 + 82?'
>>> TASK.score(TASK.load(n=1)[0], type("A", (), {"answer": "wrong"})())
{'correct': False}
"""
from __future__ import annotations

import random
from typing import Any

from agents.actors.cot import CoTActor
from agents.cli_types import positive_int
from agents.reflexion import oracle_feedback
from agents.tasks.base import BaseTask
from agents.types import Sample, TaskOption

# Its own prompts: nothing here comes from another task (the contract test checks the hashes).
TEMPLATE = "Add the two numbers. End with Action: Finish[<the sum>].\n{examples}\n{memory}Question: {question}\n{scratchpad}"
EXAMPLES = ("Question: What is 2 + 3?\nThought: Two and three make five.\nAction: Finish[5]\n\n"
            "Question: What is 10 + 7?\nThought: Ten plus seven is seventeen.\nAction: Finish[17]\n")
REFLECT_TEMPLATE = ("You added two numbers and got it wrong. Say in one sentence what to do differently.\n"
                    "{examples}\nQuestion: {question}\n{scratchpad}\nReflection:")
REFLECT_EXAMPLES = "Question: What is 4 + 4?\nThought: 4 + 4 = 9.\nReflection: I miscounted; add the units again.\n"


class ArithmeticTask(BaseTask):
    name = "arith"
    title = "Sums"
    unit = "sums"
    agents = ("cot",)
    feedback_sources = ("oracle",)
    primary_score = "correct"
    runs_dir = "arith_runs"
    options = (TaskOption("--answer-tokens", "max_tokens", {
        "type": positive_int, "metavar": "N", "help": "tokens for a reply (default 32)"}),)

    def load(self, n: int | None = None, seed: int = 0, path: str | None = None) -> list[Sample]:
        draw = random.Random(seed)
        pairs = [(draw.randint(10, 99), draw.randint(10, 99)) for _ in range(n or 20)]
        return [Sample(id=f"sum-{k}", input=f"What is {a} + {b}?", target=str(a + b))
                for k, (a, b) in enumerate(pairs)]

    def prompts(self, agent: str) -> dict[str, str]:
        self.check_agent(agent)
        return {"template": TEMPLATE, "examples": EXAMPLES, "reflect_template": REFLECT_TEMPLATE,
                "reflect_examples": REFLECT_EXAMPLES}

    def default_options(self, agent: str) -> dict[str, Any]:
        return {"max_tokens": 32}

    def build_agent(self, agent: str, sample: Sample, *, llm: Any, reflect_llm: Any, strategy: Any,
                    feedback: Any, environment: Any, **options: Any) -> Any:
        return CoTActor(sample.input, kind=self.check_agent(agent), task=self.name, sample_id=sample.id,
                        llm=llm, reflect_llm=reflect_llm, strategy=strategy, feedback=feedback, **options)

    def feedback(self, source: str, sample: Sample, *, llm: Any, judge_llm: Any = None) -> Any:
        self.check_feedback(source)
        return oracle_feedback(lambda answer: answer.strip() == sample.target)

    def score(self, sample: Sample, attempt: Any) -> dict[str, Any]:
        return {"correct": str(attempt.answer).strip() == sample.target}


TASK = ArithmeticTask()
