"""Every agent x strategy with a scripted model: what each trial sees, memory, halting, invalid actions."""
import pytest

from agents import CoTAgent, ReactAgent, ReactReflectAgent, ReinAgentStrategy
from agents.llm import LLM, Completion
from agents.strategies import (LAST_ATTEMPT_END, LAST_ATTEMPT_HEADER, REFLECTIONS_HEADER, strategies_for,
                               trim_trace)

# HotPotQA's four (the programming arms are HumanEval's: tests/actors/test_codegen_arms.py).
UNIQUE_STRATEGIES = strategies_for("hotpotqa")
STRATEGIES = [s for s in ReinAgentStrategy.__members__.values() if s in UNIQUE_STRATEGIES]


class Recorder(LLM):
    """Replies chosen by a function of the prompt; remembers every prompt it was sent."""

    def __init__(self, reply, context_window=8192):
        self.reply, self.prompts, self.context_window = reply, [], context_window
        self.name = "recorder"

    def _generate(self, prompt, stop, max_tokens):
        self.prompts.append(prompt)
        return Completion(self.reply(prompt), len(prompt.split()), 3)


class TinyStore:
    def __init__(self):
        self.searched = []

    def search(self, title):
        self.searched.append(title)
        return f"{title} is a page."

    def lookup(self, keyword):
        return f"(Result 1 / 1) {keyword} appears here."


def cot_reply(prompt):
    if prompt.rstrip().endswith("Reflection:"):
        return f" Reflection number {prompt.count('Previous trial')}: check the second hop."
    return " The context says so.\nAction: Finish[wrong]\nObservation: Answer is CORRECT"


def react_reply(prompt):
    if prompt.rstrip().endswith("Reflection:"):
        return " I should have searched the other entity."
    step = prompt.rsplit("Thought ", 1)[-1].split(":")[0]
    if step == "1":
        return " Search first.\nAction 1: Search[Blue Grass Airport]\nObservation 1: invented"
    return f" Done.\nAction {step}: Finish[Lexington]"


def make_agent(kind, strategy, model, evaluator=lambda a: False, **kw):
    if kind == "react":
        return ReactAgent("Which airport?", docstore=TinyStore(), llm=model, evaluator=evaluator,
                          strategy=strategy, **kw)
    context = "Some context." if kind == "cot_context" else None
    return CoTAgent("Which airport?", context=context, llm=model, evaluator=evaluator, strategy=strategy, **kw)


@pytest.mark.parametrize("kind", ["react", "cot_context", "cot_no_context"])
@pytest.mark.parametrize("strategy", UNIQUE_STRATEGIES)
def test_second_trial_sees_what_the_strategy_promises(kind, strategy):
    model = Recorder(react_reply if kind == "react" else cot_reply)
    agent = make_agent(kind, strategy, model)
    first = agent.run()
    assert first.trial == 1 and not first.correct and first.error is None
    assert LAST_ATTEMPT_HEADER not in model.prompts[-1] and REFLECTIONS_HEADER not in model.prompts[-1]
    n_before = len(model.prompts)
    second = agent.run()
    assert second.trial == 2 and second.error is None
    acting_prompts = [p for p in model.prompts[n_before:] if not p.rstrip().endswith("Reflection:")]
    reflection_prompts = [p for p in model.prompts[n_before:] if p.rstrip().endswith("Reflection:")]
    assert len(reflection_prompts) == int(strategy.reflects)
    seen = acting_prompts[0]
    assert (LAST_ATTEMPT_HEADER in seen) == strategy.shows_last_attempt
    assert (first.trajectory in seen) == strategy.shows_last_attempt
    assert (REFLECTIONS_HEADER in seen) == strategy.reflects
    assert second.last_attempt == (first.trajectory if strategy.shows_last_attempt else "")
    assert len(second.reflections) == int(strategy.reflects)
    if strategy.reflects:
        assert first.trajectory in reflection_prompts[0]  # the reflection is about the failed attempt


@pytest.mark.parametrize("kind", ["react", "cot_context"])
def test_reinagent_memory_accumulates_and_every_reflection_is_shown(kind):
    model = Recorder(react_reply if kind == "react" else cot_reply)
    agent = make_agent(kind, ReinAgentStrategy.REINAGENT, model)
    attempts = [agent.run() for _ in range(4)]
    assert [len(a.reflections) for a in attempts] == [0, 1, 2, 3]
    assert attempts[3].reflections[:2] == attempts[2].reflections  # accumulating, never rewritten


@pytest.mark.parametrize("kind", ["react", "cot_context"])
def test_last_attempt_and_reinagent_shows_only_the_newest_reflection_by_default(kind):
    # The original code shows the last trace plus only the newest reflection.
    model = Recorder(react_reply if kind == "react" else cot_reply)
    agent = make_agent(kind, ReinAgentStrategy.LAST_ATTEMPT_AND_REINAGENT, model)
    attempts = [agent.run() for _ in range(4)]
    assert [len(a.reflections) for a in attempts] == [0, 1, 1, 1]
    assert len(agent.reflections) == 3                              # the memory keeps them all
    assert attempts[3].reflections == [attempts[3].reflection]      # the newest is the one shown
    assert attempts[3].last_attempt == attempts[2].trajectory       # replaced by the latest
    last_prompt = [p for p in model.prompts if not p.rstrip().endswith("Reflection:")][-1]
    assert last_prompt.count(LAST_ATTEMPT_HEADER) == 1 and last_prompt.count("\n- ") == 1
    every = make_agent(kind, ReinAgentStrategy.LAST_ATTEMPT_AND_REINAGENT, Recorder(model.reply),
                       max_reflections=None)
    assert [len(every.run().reflections) for _ in range(4)] == [0, 1, 2, 3]


def test_correct_answer_gets_correct_observation_and_stops_memory():
    model = Recorder(cot_reply)
    agent = make_agent("cot_no_context", "reinagent", model, evaluator=lambda a: a == "wrong")
    attempt = agent.run()
    assert attempt.correct and attempt.trajectory.endswith("Observation: Answer is CORRECT")
    assert agent.solved


def test_agent_does_not_trust_the_model_s_own_verdict():
    # the reply claims "Answer is CORRECT" after its Finish; only the evaluator decides
    attempt = make_agent("cot_context", "none", Recorder(cot_reply)).run()
    assert not attempt.correct and attempt.trajectory.endswith("Answer is INCORRECT")


def test_react_halts_after_max_steps_and_counts_invalid_actions():
    model = Recorder(lambda p: " hmm.\nAction 1: Ask[someone]")
    attempt = make_agent("react", "none", model, max_steps=3).run()
    assert attempt.halted and attempt.steps == 3 and attempt.invalid_actions == 3
    assert "Invalid action" in attempt.trajectory and attempt.answer == ""


def test_react_halts_on_prompt_length_but_never_before_its_first_step():
    model = Recorder(lambda p: " Look.\nAction 1: Search[X]")
    attempt = make_agent("react", "none", model, max_prompt_tokens=10).run()
    assert attempt.halted and attempt.steps == 1 and attempt.llm_calls == 1


def test_react_prompt_limit_defaults_to_the_original_3896_tokens():
    agent = make_agent("react", "none", Recorder(react_reply))
    assert agent.max_prompt_tokens == 3896
    small = make_agent("react", "none", Recorder(react_reply, context_window=2048))
    assert small.max_prompt_tokens == 2048 - small.max_tokens  # never past the model's window


def test_thought_only_reply_gets_a_second_call_for_the_action():
    replies = iter([" I need to search.", " Search[Lexington]", " Done.\nAction 2: Finish[x]"])
    model = Recorder(lambda p: next(replies))
    attempt = make_agent("react", "none", model).run()
    assert attempt.llm_calls == 3 and "Action 1: Search[Lexington]" in attempt.trajectory


def test_backend_failure_is_recorded_not_raised():
    def broken(prompt):
        raise ConnectionError("server went away")
    attempt = make_agent("cot_no_context", "none", Recorder(broken)).run()
    assert attempt.error == "ConnectionError: server went away" and not attempt.correct


def test_restore_rebuilds_memory_without_calls():
    model = Recorder(cot_reply)
    agent = make_agent("cot_no_context", "reinagent", model)
    attempts = [agent.run() for _ in range(3)]
    fresh = make_agent("cot_no_context", "reinagent", Recorder(cot_reply))
    fresh.restore(attempts)
    assert fresh.reflections == agent.reflections and fresh.last_attempt == attempts[-1].trajectory
    assert fresh.run().trial == 4


def test_react_reflect_agent_defaults_to_reinagent_and_strategy_aliases():
    agent = ReactReflectAgent("Q?", docstore=TinyStore(), llm=Recorder(react_reply), evaluator=lambda a: False)
    assert agent.strategy is ReinAgentStrategy.REINAGENT
    from agents import reinAgentStrategy
    assert reinAgentStrategy is ReinAgentStrategy
    assert reinAgentStrategy.reinAgent is ReinAgentStrategy.REFLEXION is ReinAgentStrategy.REINAGENT
    assert reinAgentStrategy.LAST_ATTEMPT_AND_reinAgent is ReinAgentStrategy.LAST_ATTEMPT_AND_REFLEXION
    assert [s.value for s in strategies_for("hotpotqa")] == ["base", "last_trial", "reinagent", "last_trial_and_reinagent"]
    assert "REINAGENT" in ReinAgentStrategy.__doc__ and "LAST_ATTEMPT" in ReinAgentStrategy.__doc__


def test_bad_construction_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown strategy"):
        make_agent("cot_context", "reflect-harder", Recorder(cot_reply))
    with pytest.raises(TypeError, match="evaluator"):
        CoTAgent("Q?", llm=Recorder(cot_reply), evaluator=None)
    with pytest.raises(TypeError, match="docstore"):
        ReactAgent("Q?", docstore=None, llm=Recorder(cot_reply), evaluator=lambda a: False)


def test_reflection_prompt_shortens_longest_observations_first():
    pad = "\n".join(["Thought 1: a", "Observation 1: " + "x " * 400, "Thought 2: b",
                     "Observation 2: " + "y " * 50, "Action 2: Finish[z]"])
    short = trim_trace(pad, 120, lambda s: len(s.split()))
    assert "Observation 1: [truncated]" in short and ("y " * 50).strip() in short
    assert "Thought 1: a" in short and "Action 2: Finish[z]" in short


def test_no_reflection_on_a_failed_call():
    calls = iter([ConnectionError("reset"), " Fine.\nAction: Finish[wrong]"])

    def flaky(prompt):
        reply = next(calls)
        if isinstance(reply, Exception):
            raise reply
        return reply

    model = Recorder(flaky)
    agent = make_agent("cot_no_context", "reinagent", model)
    assert agent.run().error is not None
    second = agent.run()
    assert second.error is None and second.reflections == []  # nothing to diagnose in an outage


def test_reflection_opening_with_a_blank_line_is_kept_and_an_empty_one_is_not_memory():
    replies = {"n": 0}

    def reply(prompt):
        if prompt.rstrip().endswith("Reflection:"):
            replies["n"] += 1
            return "\n\nI searched the wrong page.\n\nPrevious trial: x" if replies["n"] == 1 else "   "
        return " Hm.\nAction: Finish[wrong]"

    agent = make_agent("cot_no_context", "reinagent", Recorder(reply))
    attempts = [agent.run() for _ in range(3)]
    assert attempts[1].reflection == "I searched the wrong page."
    assert attempts[2].reflection == "" and agent.reflections == ["I searched the wrong page."]
    assert all("wrote nothing" not in note for a in attempts for note in a.reflections)


def test_long_observations_are_cut_with_a_marker():
    class LongStore(TinyStore):
        def search(self, title):
            return "word " * 1000

    agent = ReactAgent("Q?", docstore=LongStore(), llm=Recorder(react_reply), evaluator=lambda a: False)
    observation = agent.run().trajectory.split("Observation 1: ", 1)[1].split("\n")[0]
    assert observation.endswith("[observation cut at 2000 characters]") and len(observation) < 2100


def test_last_attempt_is_trimmed_framed_and_never_stops_the_next_attempt():
    class HugeStore(TinyStore):
        def search(self, title):
            return "page " * 390  # under the 2,000-character cut, but six of them fill a context

    def reply(prompt):
        step = prompt.rsplit("Thought ", 1)[-1].split(":")[0]
        return f" Keep looking.\nAction {step}: Search[More {step}]"

    model = Recorder(reply, context_window=4096)
    agent = ReactAgent("Q?", docstore=HugeStore(), llm=model, evaluator=lambda a: False,
                       strategy="last_attempt", max_steps=6)
    attempts = [agent.run() for _ in range(4)]
    assert all(a.steps >= 1 for a in attempts)  # no flip-flop: every trial acts
    memory = agent.memory
    assert LAST_ATTEMPT_HEADER in memory and LAST_ATTEMPT_END in memory
    assert agent.llm.count_tokens(memory) <= 1600 + 40


def test_the_reflection_reads_the_failed_trace_trimmed_to_1600_tokens_as_the_original():
    """Issue 18 item 11: the original trimmed the trace a HotPotQA reflection reads to ~1,600
    tokens; the kit read half the context window (4,096 of 8,192)."""
    class HugeStore(TinyStore):
        def search(self, title):
            return "page " * 390

    def reply(prompt):
        if prompt.rstrip().endswith("Reflection:"):
            return " Search less."
        step = prompt.rsplit("Thought ", 1)[-1].split(":")[0]
        return f" Keep looking.\nAction {step}: Search[More {step}]"

    def reflection_trace(options):
        model = Recorder(reply)
        agent = ReactAgent("Q?", docstore=HugeStore(), llm=model, evaluator=lambda a: False, strategy="reinagent",
                           max_steps=6, **options)
        agent.run(), agent.run()
        prompt = next(p for p in model.prompts if p.rstrip().endswith("Reflection:"))
        return prompt.rsplit("Previous trial:", 1)[1], model

    trace, model = reflection_trace({})
    assert 1200 < model.count_tokens(trace) <= 1600 + 40 and "[truncated]" in trace
    wide, _ = reflection_trace({"reflect_trace_tokens": None})   # the kit's old rule: half the window
    assert model.count_tokens(wide) > model.count_tokens(trace) + 400


def test_hotpotqa_records_the_reflection_trace_budget_in_the_manifest(tmp_path):
    from agents.engine.runner import run_trials
    from agents.llm import CallableLLM

    questions = [{"id": "q1", "question": "2+2?", "answer": "4"}]
    frame = run_trials("cot_no_context", questions, n_trials=1, llm=CallableLLM(lambda p: " x\nAction: Finish[4]",
                       name="four"), root=tmp_path, cache=False, progress=False)
    manifest = frame.attrs["manifest"]
    assert manifest["agent_options"]["reflect_trace_tokens"] == 1600 and manifest["strategy"] == "reinagent"


def test_the_reflection_trace_budget_is_a_cli_flag():
    from agents.cli import _task_options, build_parser
    from agents.tasks import get_task

    parser = build_parser()
    run = parser._subparsers._group_actions[0].choices["run"]  # noqa: SLF001 (the run subparser)
    task = get_task("hotpotqa")

    def options(*argv):
        return _task_options(parser.parse_args(["run", *argv]), task, "react", run)

    assert options() == {}
    assert options("--reflect-trace-tokens", "half") == {"reflect_trace_tokens": None}
    assert options("--reflect-trace-tokens", "800") == {"reflect_trace_tokens": 800}
