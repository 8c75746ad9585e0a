"""The code-generation actor without a sandbox: reading what models write, and the attempt's shape.

Base models ramble (a second function, prints, an ``if __name__`` block, prose), chat models fence
a whole function with chatter around it, and small models emit garbage: :func:`extract_completion`
and :func:`parse_tests` must keep what is code and never raise (hypothesis feeds them junk).
"""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.actors.code_parsing import (CODE_STOP, CHAT_CODE_STOP, Outcome, extract_completion, format_attempt,
                                        join_program, parse_tests, short_error, summarize_outcomes)
from agents.tasks.humaneval.actor import CodeGenAgent
from agents.llm import CallableLLM
from agents.types import Feedback

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FRAGMENTS = ["", "\n", "\n\n\n", "\t", "    ", "```", "```python\n", "def ", "def f(", "def f(x):\n",
             "return x", "    return x\n", "if __name__ == '__main__':", "print(f(1))", "assert f(1) == 1",
             "class A:", "import os", "from typing import List", '"""', "'''", "(end of examples)",
             "# Tests:", "Reflection:", "é", "日本語", "\x00", "\ufeff", "\r\n", "(", ")", "[", "]"]
reply = st.one_of(st.text(max_size=300),
                  st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=20).map("".join))


@SETTINGS
@given(reply)
def test_garbage_never_raises_and_gives_text(text):
    completion = extract_completion(text, "f")
    assert isinstance(completion, str)
    assert "\x00" not in completion
    tests = parse_tests(text, "f")
    assert all(t.startswith("assert") and "f(" in t for t in tests)


def test_a_base_model_body_is_cut_at_the_next_top_level_statement():
    reply = ("    total = 0\n    for x in xs:\n        total += x\n\n    return total\n\n\n"
             "def another():\n    pass\nif __name__ == '__main__':\n    print(total_of([1]))")
    assert extract_completion(reply, "total_of") == "    total = 0\n    for x in xs:\n        total += x\n\n    return total\n"


@pytest.mark.parametrize("tail", ["\nprint(f(2))", "\nassert f(2) == 4", "\nif __name__ == '__main__':\n    f(1)",
                                  "\nExplanation: the function doubles.", "\n# test\nf(3)"])
def test_whatever_follows_the_body_is_dropped(tail):
    assert extract_completion("    return 2 * x" + tail, "f") == "    return 2 * x\n"


def test_a_chat_reply_gives_the_whole_fenced_function_with_its_imports_and_helpers():
    reply = ("Here is my solution:\n```python\nimport math\n\n\ndef helper(x):\n    return x\n\n\n"
             "def f(x):\n    return math.floor(helper(x))\n\n\nprint(f(2.5))\n```\nIt floors x.")
    completion = extract_completion(reply, "f")
    assert completion.startswith("\nimport math\n") and "def helper(x)" in completion
    assert completion.rstrip().endswith("return math.floor(helper(x))") and "print" not in completion


def test_a_fenced_body_without_indentation_is_indented():
    assert extract_completion("```\nreturn x + 1\n```", "f") == "    return x + 1\n"


@pytest.mark.parametrize("reply, body", [
    ("return x + 1", "    return x + 1\n"),                                         # one bare line
    ("y = x * 2\nif y > 3:\n    y -= 1\nreturn y", "    y = x * 2\n    if y > 3:\n        y -= 1\n    return y\n"),
    ("y = 0\n    for i in range(x):\n        y += i\n    return y",                 # only the first line flush left
     "    y = 0\n    for i in range(x):\n        y += i\n    return y\n"),
])
def test_a_bare_body_is_reindented_as_the_paper_era_code_did(reply, body):
    """Neither fenced nor indented: the original's py_fix_indentation indented the first line, then
    every line; the kit's old parser turned such a reply into an empty completion."""
    assert extract_completion(reply, "f") == body


def test_a_bare_reply_that_is_not_code_stays_empty():
    assert extract_completion("This function doubles its input.", "f") == ""


def test_tabs_become_spaces_and_nothing_usable_gives_an_empty_completion():
    assert extract_completion("\treturn x\n", "f") == "    return x\n"
    assert extract_completion("", "f") == extract_completion(None, "f") == ""
    assert extract_completion("The answer is 42.", "f") == ""


def test_a_completion_makes_a_program_with_the_prompt():
    assert join_program('def f(x):\n    """Doc."""\n', "    return x\n") == 'def f(x):\n    """Doc."""\n    return x\n'


def test_only_complete_tests_of_the_function_are_kept():
    reply = (" f(1) == 2\nassert f(2) == 4\nassert f(2)==4\nassert g(1) == 1\nassert f(unknown) == 1\n"
             "assert f(3) ==\nassert abs(f(0.5) - 1.0) < 1e-9\nassert f(1) == 2, 'message'")
    assert parse_tests(reply, "f") == ["assert f(1) == 2", "assert f(2) == 4", "assert abs(f(0.5) - 1.0) < 1e-9",
                                       "assert f(1) == 2, 'message'"]
    assert parse_tests(reply, "f", limit=1) == ["assert f(1) == 2"]


def test_a_program_that_does_not_load_is_summed_up_in_one_line():
    message = 'File "solution.py", line 4\n    return (1, 2\n           ^\nSyntaxError: \'(\' was never closed'
    outcomes = [Outcome("assert f(1) == 2", False, message), Outcome("assert f(0) == 0", False, message)]
    text = format_attempt("def f(x):\n    return (1, 2\n", outcomes)
    assert "failed: assert f(1) == 2 # the implementation does not load: SyntaxError: '(' was never closed (line 4)" in text
    assert short_error("") == ""
    assert summarize_outcomes(outcomes)[0] is False


def _agent(replies, **options):
    replies = iter(replies)
    seen = []

    def run_tests(program, tests):
        ok = "return 2 * x" in program
        return [Outcome(t, ok, "" if ok else f"{t} # output: None") for t in tests]

    def model(prompt):
        seen.append(prompt)
        return next(replies)

    options.setdefault("feedback", lambda answer, trajectory, outcomes: Feedback(all(o.passed for o in outcomes),
                                                                               source="tests"))
    agent = CodeGenAgent('def f(x):\n    """Twice x.\n    >>> f(2)\n    4\n    """\n', entry_point="f",
                         run_tests=run_tests, llm=CallableLLM(model), visible_tests=["assert f(2) == 4"], **options)
    return agent, seen


def test_tests_are_written_once_and_kept_for_every_trial():
    agent, seen = _agent([" f(3) == 6\nassert f(2) == 4", "    return x\n", " forgot to double.", "    return x\n",
                          " still does not double.", "    return 2 * x\n"], strategy="reinagent", test_source="both")
    attempts = [agent.run(), agent.run(), agent.run()]
    assert [a.success for a in attempts] == [False, False, True]
    assert sum(p.endswith("# Tests:\nassert") for p in seen) == 1
    assert all(a.extra["tests"] == ["assert f(2) == 4", "assert f(3) == 6"] for a in attempts)
    assert attempts[2].reflections == ["The implementation forgot to double.", "The implementation still does not double."]


def test_visible_tests_alone_need_no_model_call_for_tests():
    agent, seen = _agent(["    return 2 * x\n"], test_source="visible")
    assert agent.run().extra["tests"] == ["assert f(2) == 4"] and len(seen) == 1


def test_last_attempt_shows_the_code_and_its_test_results():
    agent, seen = _agent(["", "    return x\n", "    return 2 * x\n"], strategy="last_attempt", test_source="both")
    agent.run(), agent.run()
    memory = seen[-1].split("(end of examples)")[-1]
    assert "Your last attempt was:\nFunction: f\nImplementation:" in memory
    assert "failed: assert f(2) == 4 # output: None" in memory


def test_resume_restores_the_tests_without_a_model_call():
    agent, _ = _agent([" f(3) == 6", "    return x\n"], strategy="none")
    first = agent.run()
    again, seen = _agent(["    return 2 * x\n"], strategy="none")
    again.restore([first])
    assert again.run().success and again.tests == ["assert f(3) == 6"] and len(seen) == 1


def test_chat_models_are_not_cut_at_their_first_def():
    agent, _ = _agent([])
    assert agent.code_stop == CODE_STOP
    agent.llm.endpoint = "chat"
    assert agent.code_stop == CHAT_CODE_STOP


def test_a_bad_test_source_says_what_to_pass():
    with pytest.raises(ValueError, match="'both', 'visible' or 'model'"):
        _agent([], test_source="hidden")
