"""HotPotQA's prompt templates, written for this project. Plain ``str.format`` templates so a notebook
cell can print one, edit it and pass it back to an agent (``CoTAgent(..., template=MY_TEMPLATE)``).
:func:`default_prompts` is the one place that says which prompts each agent uses.

Fields:
- ``{examples}``: the worked examples (see :mod:`agents.tasks.hotpotqa.fewshots`);
- ``{memory}``: what the strategy carries over (last attempt and/or reflections), or "";
- ``{question}``, ``{context}`` (CoT with context), ``{scratchpad}``: this attempt so far.

Prompts are completion-style (they end where the model continues), which suits base models such as
the embedded Gemma 3 270M as well as chat models, which receive the whole prompt as one message.

>>> COT_TEMPLATE.format(examples="<ex>", memory="", question="Who wrote Dune?", scratchpad="Thought:")[-34:]
'Question: Who wrote Dune?\\nThought:'
"""

REACT_TEMPLATE = """Answer the question by alternating Thought, Action and Observation lines.
A Thought reasons about what is known so far and what is missing. An Action is exactly one of:
Search[entity] opens the encyclopedia page of that entity and shows its first paragraph; if there is no such page, it lists similar titles.
Lookup[keyword] shows the next sentence containing the keyword on the page opened last.
Finish[answer] gives the final answer, as short as possible, and ends the task.
Here are solved examples.

{examples}
(end of examples)
{memory}
Question: {question}
{scratchpad}"""

COT_CONTEXT_TEMPLATE = """Answer the question using the context. Think step by step in one Thought line, then give the final answer as Action: Finish[answer], as short as possible.
Here are solved examples.

{examples}
(end of examples)
{memory}
Context: {context}

Question: {question}
{scratchpad}"""

COT_TEMPLATE = """Answer the question. Think step by step in one Thought line, then give the final answer as Action: Finish[answer], as short as possible.
Here are solved examples.

{examples}
(end of examples)
{memory}
Question: {question}
{scratchpad}"""

# Reflection prompts: shown a failed attempt, the model writes one or two sentences diagnosing the
# failure and planning the next try. They differ only in how the failure is described and in the
# context the CoT-with-context variant shows, so they are assembled from one frame.
_REFLECT_FRAME = """{situation}
Write a short reflection: in one or two sentences, say what went wrong and what to do differently next time.
Here are examples.

{{examples}}
(end of examples)

Previous trial:
{shown}Question: {{question}}
{{scratchpad}}

Reflection:"""

REACT_REFLECT_TEMPLATE = _REFLECT_FRAME.format(
    situation="An agent searched an encyclopedia to answer a question and failed: "
              "it gave a wrong answer or ran out of steps.", shown="")
COT_CONTEXT_REFLECT_TEMPLATE = _REFLECT_FRAME.format(
    situation="An agent answered a question from a context and was told its answer was wrong.",
    shown="Context: {context}\n\n")
COT_REFLECT_TEMPLATE = _REFLECT_FRAME.format(
    situation="An agent answered a question from memory and was told its answer was wrong.", shown="")

# What the agent is told after Finish under oracle feedback, as in the paper (see
# agents.reflexion.feedback_observation).
CORRECT_OBSERVATION = "Answer is CORRECT"
INCORRECT_OBSERVATION = "Answer is INCORRECT"

# Honest feedback: a model (the actor itself, or a separate judge) reads the attempt without the
# gold answer and says whether the trajectory supports the answer. Completion-style, for base
# models too: the reply starts with yes or no, then one line of reason.
CHECK_TEMPLATE = """Read an agent's attempt at a question and decide whether what it found supports its final answer. Do not use any knowledge of your own: judge only the attempt. Reply "yes" or "no", then a one-line reason.

{examples}
(end of examples)

Question: {question}
{scratchpad}
Final answer: {answer}
Supported:"""

PROMPT_OPTIONS = ("template", "examples", "reflect_template", "reflect_examples")


def default_prompts(agent: str) -> dict[str, str]:
    """The prompts of one HotPotQA agent type, by option name.

    >>> sorted(default_prompts("react")) == sorted(PROMPT_OPTIONS)
    True
    """
    from . import fewshots

    table = {
        "react": (REACT_TEMPLATE, fewshots.REACT_EXAMPLES, REACT_REFLECT_TEMPLATE,
                  fewshots.REACT_REFLECT_EXAMPLES),
        "cot_context": (COT_CONTEXT_TEMPLATE, fewshots.COT_CONTEXT_EXAMPLES,
                        COT_CONTEXT_REFLECT_TEMPLATE, fewshots.COT_CONTEXT_REFLECT_EXAMPLES),
        "cot_no_context": (COT_TEMPLATE, fewshots.COT_EXAMPLES, COT_REFLECT_TEMPLATE,
                           fewshots.COT_REFLECT_EXAMPLES),
    }
    if agent not in table:
        raise ValueError(f"unknown HotPotQA agent {agent!r}; choose one of: {', '.join(table)}")
    return dict(zip(PROMPT_OPTIONS, table[agent]))
