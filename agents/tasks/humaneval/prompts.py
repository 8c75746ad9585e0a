"""HumanEval's prompt templates, written for this project: plain ``str.format`` templates that a
notebook cell can print, edit and pass back (``run_trials(..., template=MY_TEMPLATE)``).

All three are completion-style: each ends where the model should continue, so a base model such as
the embedded Gemma 3 270M simply goes on writing (a chat model gets the whole prompt as one message).

- ``template`` (the code): ``{examples}`` (solved functions), ``{memory}`` (what the strategy carries
  over, or ""), ``{prompt}`` (the problem: signature + docstring); the model writes the body;
- ``tests_template``: ``{examples}``, ``{prompt}``; it ends with ``assert``, so the model writes tests;
- ``reflect_template``: ``{examples}`` (failed attempts and their reflections) and ``{scratchpad}``
  (the failed attempt: code, test results, feedback); the model writes one or two sentences. It
  ends with the reflection's first words, "The implementation": a small base model otherwise often
  ends its reply at once; the agent keeps those words as the start of the reflection.

The hidden tests never appear in any of them: they are not an input of any template.

>>> CODE_TEMPLATE.format(examples="<ex>", memory="", prompt="def f(x):\\n").endswith("examples)\\n\\ndef f(x):\\n")
True
>>> TESTS_TEMPLATE.endswith("# Tests:\\nassert")
True
"""

CODE_TEMPLATE = """# Complete each Python function: write its body below the docstring. Use only the standard library.

{examples}


# (end of examples)
{memory}
{prompt}"""

TESTS_TEMPLATE = """# Write tests for each Python function: a few assert statements, one per line, that call it on small inputs and compare the result with the exact expected value.

{examples}

# (end of examples)

{prompt}# Tests:
assert"""

REFLECT_TEMPLATE = """A Python function was run on tests and some of them failed. Write a short reflection: in one or two sentences, say what is wrong with the implementation and how to fix it. Do not write code.
Here are examples.

{examples}
(end of examples)

Previous trial:
{scratchpad}

Reflection: The implementation"""

PROMPT_OPTIONS = ("template", "examples", "tests_template", "tests_examples", "reflect_template",
                  "reflect_examples")


def default_prompts(agent: str = "codegen") -> dict[str, str]:
    """The prompts of HumanEval's agent, by option name.

    >>> sorted(default_prompts("codegen")) == sorted(PROMPT_OPTIONS)
    True
    """
    from . import fewshots

    if agent != "codegen":
        raise ValueError(f"unknown HumanEval agent {agent!r}; choose: codegen")
    return dict(zip(PROMPT_OPTIONS, (CODE_TEMPLATE, fewshots.CODE_EXAMPLES, TESTS_TEMPLATE,
                                     fewshots.TESTS_EXAMPLES, REFLECT_TEMPLATE, fewshots.REFLECT_EXAMPLES)))
