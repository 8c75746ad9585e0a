"""The two published transfer mechanisms (issue 20 item 3): ExpeL's insights and retrieved
trajectories, ACE's playbook. Scripted models (functions of the prompt) prove the mechanics; the
embedded model runs each method's learning end to end at tiny size."""
import json
import random
import time

import pytest

from agents.engine.runner import run_trials
from agents.llm.base import CallableLLM, approx_token_count
from agents.memory.transfer import LearntMemory, get_method, method_names
from agents.memory.transfer.ace import ACE, Delta, curate, parse_review
from agents.memory.transfer.expel import ExpeL, is_placeholder, parse_operations
from agents.tasks import get_task
from agents.types import Sample

INSIGHT = "Answer with the exact name of the entity the question asks for, never a description of it."
OTHER = "Prefer shorter answers whenever a question mentions two different people at once."


def rec(sid, trial, success, trajectory, question=None, **extra):
    return {"sample_id": sid, "trial": trial, "input": question or f"Question about {sid}?", "success": success,
            "trajectory": trajectory, "feedback_source": "oracle", **extra}


def scripted(fn, name="scripted"):
    """A model over a function of the prompt that also keeps every prompt it was given."""
    prompts = []

    def answer(prompt):
        prompts.append(prompt)
        return fn(prompt)

    model = CallableLLM(answer, name=name)
    model.prompts = prompts
    return model


# ----------------------------------------------------------------------------------------- ExpeL
def test_expel_extracts_an_insight_by_comparing_a_failed_and_a_successful_trajectory():
    records = [rec("a", 1, False, "Thought: it is a city.\nAction: Finish[a city]"),
               rec("a", 2, True, "Thought: the city is Paris.\nAction: Finish[Paris]"),
               rec("b", 1, False, "Thought: no idea.\nAction: Finish[unknown]")]  # never solved: no pair

    def extractor(prompt):
        if "FAILED ATTEMPT:\nThought: it is a city." in prompt and "SUCCESSFUL ATTEMPT:\nThought: the city is Paris" in prompt:
            return f"ADD: {INSIGHT}"
        return "nothing to add"
    model = scripted(extractor)
    content = ExpeL().learn(task="hotpotqa", agent="cot_no_context", records=records, samples={}, llm=model)
    assert [i["text"] for i in content["insights"]] == [INSIGHT]
    assert content["stats"]["pair_calls"] == 1 and content["stats"]["batch_calls"] == 1
    assert content["usage"]["calls"] == 2 == len(model.prompts)
    assert content["usage"]["input_tokens"] == sum(approx_token_count(p) for p in model.prompts)
    assert [e["sample_id"] for e in content["examples"]] == ["a"]   # only the solved sample is an example
    assert INSIGHT in ExpeL().render(content, Sample("t", "Which city is it?"))


def test_expel_operations_add_edit_upvote_downvote_and_garbage_is_skipped_and_counted():
    replies = iter([
        "ADD: Search for the person before the place.\nADD: Check the years twice before answering.",
        "Sure! Here are my operations:\n- EDIT 1: Search for the person first, then the place.\n"
        "UPVOTE 2\nDOWNVOTE 2\nDOWNVOTE 2\nUPVOTE 99\nEDIT 1:\nADD\n%%%\x00garbage",
    ])
    records = [rec("a", 1, False, "x1"), rec("a", 2, True, "y1"), rec("b", 1, False, "x2"), rec("b", 2, True, "y2")]
    method = ExpeL(batch_size=10)
    content = method.learn(task="t", agent="a", records=records, samples={},
                           llm=scripted(lambda p: next(replies, "")))
    texts = {i["text"]: i["importance"] for i in content["insights"]}
    # EDIT: text replaced, +1; "check the years": 2 +1 -1 -1 = 1 (still there)
    assert texts == {"Search for the person first, then the place.": 3, "Check the years twice before answering.": 1}
    ops = content["stats"]["operations"]
    assert (ops["add"], ops["edit"], ops["upvote"], ops["downvote"]) == (2, 1, 1, 2)
    assert content["stats"]["malformed"] == 3   # UPVOTE 99, EDIT 1 without text, ADD without text
    assert content["stats"]["ignored_lines"] == 2   # the preamble and "%%%..."


def test_expel_downvoted_to_zero_is_removed():
    replies = iter(["ADD: Read the question twice before answering it.", "DOWNVOTE 1\nDOWNVOTE 1\nUPVOTE 1"])
    records = [rec("a", 1, False, "x"), rec("a", 2, True, "y")]
    content = ExpeL().learn(task="t", agent="a", records=records, samples={}, llm=scripted(lambda p: next(replies)))
    assert content["insights"] == []           # removed at 0; the later UPVOTE names nothing left
    assert content["stats"]["operations"]["removed"] == 1 and content["stats"]["operations"]["skipped"] == 1


def test_expel_parser_never_crashes_on_garbage():
    rng = random.Random(0)
    alphabet = "ADDEITUPVOWN0123456789:#-*[]() \n\tabc\x00é"
    for _ in range(300):
        reply = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        ops, bad, other = parse_operations(reply, n_insights=rng.randint(0, 3))
        assert all(o.kind in ("add", "edit", "upvote", "downvote") for o in ops)
        content = {"insights": [{"id": 1, "text": "Search first please.", "importance": 2}], "next_id": 2}
        from agents.memory.transfer.expel import apply_operations
        apply_operations(content, ops)
        json.dumps(content)


def test_expel_retrieval_shows_the_most_similar_successful_trajectory():
    records = [rec("film", 1, True, "Thought: the film was directed by X.\nAction: Finish[X]",
                   question="Who directed the film Jaws?"),
               rec("city", 1, True, "Thought: Mozart was born in Salzburg.\nAction: Finish[Salzburg]",
                   question="In which city was the composer Mozart born?"),
               rec("novel", 1, True, "Thought: Dune was written by Herbert.\nAction: Finish[Herbert]",
                   question="Who wrote the novel Dune?"),
               rec("fail", 1, False, "Thought: city of birth?\nAction: Finish[Rome]",
                   question="In which city was the composer Haydn born?")]   # failed: never retrieved
    content = ExpeL(k=1).learn(task="t", agent="a", records=records, samples={}, llm=scripted(lambda p: ""))
    shown = ExpeL().render(content, Sample("t1", "In which city was the composer Beethoven born?"))
    assert "Salzburg" in shown and "Jaws" not in shown and "Rome" not in shown
    shown = ExpeL().render(content, Sample("t2", "Who directed the film Alien?"))
    assert "directed by X" in shown and "Salzburg" not in shown
    # the sample itself is never its own example
    assert "Salzburg" not in ExpeL().render(content, Sample("city", "In which city was the composer Mozart born?"))


def test_expel_near_duplicate_add_upvotes_instead_of_adding():
    replies = iter(["ADD: Check the dates before answering.", "ADD: Check the dates before you answer!"])
    records = [rec("a", 1, False, "x"), rec("a", 2, True, "y"), rec("b", 1, False, "x"), rec("b", 2, True, "y")]
    content = ExpeL(batch_size=5).learn(task="t", agent="a", records=records, samples={},
                                        llm=scripted(lambda p: next(replies, "")))
    assert [(i["text"], i["importance"]) for i in content["insights"]] == [("Check the dates before answering.", 3)]
    assert content["stats"]["operations"]["merged"] == 1


def test_expel_learning_ignores_record_order_and_error_rows():
    records = [rec("a", 1, False, "x"), rec("a", 2, True, "y"), rec("b", 1, False, "p"), rec("b", 2, True, "q"),
               rec("b", 1, False, "crashed", error="HTTP 500")]
    model = lambda p: "ADD: " + ("First insight about a." if "\ny\n" in p else "Second insight here about b.")  # noqa: E731
    samples = {"b": Sample("b", "Question about b?"), "a": Sample("a", "Question about a?")}
    one = ExpeL().learn(task="t", agent="a", records=records, samples=samples, llm=CallableLLM(model, name="m"))
    two = ExpeL().learn(task="t", agent="a", records=list(reversed(records)), samples=samples,
                        llm=CallableLLM(model, name="m"))
    assert one == two and "crashed" not in json.dumps(one)
    assert [e["sample_id"] for e in one["examples"]] == ["b", "a"]   # the training samples' order


def test_expel_online_update_compares_a_scored_test_sample():
    method = ExpeL(batch_size=2)
    model = scripted(lambda p: f"ADD: {INSIGHT}" if "FAILED ATTEMPT" in p else "UPVOTE 1")
    content = method.learn(task="t", agent="a", records=[], samples={}, llm=model)
    assert content["insights"] == [] and content["usage"]["calls"] == 0
    first = method.update(content, task="t", agent="a", sample=Sample("s1", "Q1?"),
                          records=[rec("s1", 1, False, "bad"), rec("s1", 2, True, "good")], llm=model)
    assert content["insights"] == []                               # the old content is not changed
    assert [i["text"] for i in first["insights"]] == [INSIGHT] and first["pending"] == ["s1"]
    second = method.update(first, task="t", agent="a", sample=Sample("s2", "Q2?"),
                           records=[rec("s2", 1, True, "good")], llm=model)
    assert second["pending"] == [] and second["insights"][0]["importance"] == 3   # batch of 2 upvoted it
    assert second["usage"]["calls"] == 2 == len(model.prompts)


# ------------------------------------------------------------------------------------------- ACE
def test_ace_reflector_and_curator_count_helpful_and_harmful_and_prune():
    def reviewer(prompt):
        question = prompt.split("Task: ", 1)[1].split("\n", 1)[0]
        if question == "Q1?":
            return "HELPFUL: none\nHARMFUL: none\nNEW strategies: Search for each entity separately first.\n" \
                   "NEW pitfalls: Do not answer with a description instead of a name."
        if question in ("Q2?", "Q3?"):
            return "HELPFUL: str-00001\nHARMFUL: pit-00002"
        return "HARMFUL: pit-00002, str-00001\nHELPFUL: str-00001"   # Q4: conflict on str-00001
    model = scripted(reviewer)
    records = [rec(f"s{n}", 1, n % 2 == 0, f"trace {n}", question=f"Q{n}?") for n in range(1, 5)]
    samples = {f"s{n}": Sample(f"s{n}", f"Q{n}?") for n in range(1, 5)}
    content = ACE().learn(task="t", agent="a", records=records, samples=samples, llm=model)
    items = {i["id"]: (i["helpful"], i["harmful"]) for i in content["items"]}
    # pit-00002: harmful 2 after Q3 -> 2 - 0 >= margin 2: pruned; so Q4's harmful names an unknown id
    assert items == {"str-00001": (2, 0)}
    assert content["stats"]["curator"]["pruned"] == 1 and content["stats"]["conflicts"] == 1
    assert content["stats"]["unknown_ids"] == 1
    assert content["usage"]["calls"] == 4 == content["stats"]["reflections"]
    # the reflector reads the playbook with ids and counts, and the attempt's verdict
    assert "[str-00001] (strategies; helpful 1, harmful 0)" in model.prompts[2]
    assert "ATTEMPT 1 (verdict: succeeded)" in model.prompts[1]


def test_ace_reflector_sees_the_expected_answer_only_under_oracle_feedback():
    model = scripted(lambda p: "")
    oracle = rec("a", 1, False, "t", target="Paris")
    honest = {**rec("b", 1, False, "t", target="Rome"), "feedback_source": "self"}
    ACE().learn(task="t", agent="a", records=[oracle, honest], samples={}, llm=model)
    assert "Expected answer: Paris" in model.prompts[0] and "Rome" not in model.prompts[1]


def test_ace_deduplicates_near_identical_lessons():
    content = {"items": [], "next_id": 1}
    curate(content, [Delta("add", section="checks", text="Check the dates before answering."),
                     Delta("add", section="pitfalls", text="Check the dates before you answer!"),
                     Delta("add", section="pitfalls", text="Never answer with a whole sentence.")])
    assert [(i["id"], i["helpful"]) for i in content["items"]] == [("chk-00001", 1), ("pit-00002", 0)]


def test_ace_review_parser_skips_garbage():
    rng = random.Random(1)
    alphabet = "HELPFUHARMNWstrpic-0123456789:,[] \n\x00é"
    for _ in range(300):
        reply = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        deltas, skipped = parse_review(reply, {"str-00001"})
        content = {"items": [{"id": "str-00001", "section": "strategies", "text": "a b c", "helpful": 0,
                              "harmful": 0}], "next_id": 2}
        curate(content, deltas)
        json.dumps(content)


def test_ace_render_groups_by_section_best_first():
    content = ACE().empty()
    content["items"] = [
        {"id": "str-00001", "section": "strategies", "text": "low", "helpful": 0, "harmful": 1},
        {"id": "pit-00002", "section": "pitfalls", "text": "pit", "helpful": 1, "harmful": 0},
        {"id": "str-00003", "section": "strategies", "text": "high", "helpful": 5, "harmful": 1},
        {"id": "chk-00004", "section": "checks", "text": "check", "helpful": 0, "harmful": 0}]
    lines = ACE().render(content, Sample("x", "Q?")).strip().splitlines()
    assert lines[1:] == ["Strategies:", "- [str-00003] high", "- [str-00001] low", "Pitfalls:", "- [pit-00002] pit",
                         "Checks:", "- [chk-00004] check"]


def test_ace_online_update_reflects_on_the_scored_sample():
    model = scripted(lambda p: "NEW checks: Confirm the answer names what was asked.")
    content = ACE().learn(task="t", agent="a", records=[], samples={}, llm=model)
    after = ACE().update(content, task="t", agent="a", sample=Sample("s", "Q?"),
                         records=[rec("s", 1, False, "t")], llm=model)
    assert content["items"] == [] and [i["id"] for i in after["items"]] == ["chk-00001"]
    assert after["usage"]["calls"] == 1


# ---------------------------------------------------------------------------------------- shared
def _big_contents():
    long_trace = "\n".join(f"Thought {n}: " + "words " * 40 for n in range(30))
    records = [r for n in range(6) for r in (rec(f"s{n}", 1, False, long_trace), rec(f"s{n}", 2, True, long_trace))]
    calls = iter(range(1000))

    def distinct(prefix, lines):   # lessons that share no word, so none is merged into another
        call = next(calls)
        return "\n".join(f"{prefix} " + " ".join(f"w{call}x{n}y{i}" for i in range(12)) for n in range(lines))
    expel = ExpeL().learn(task="t", agent="a", records=records, samples={},
                          llm=scripted(lambda p: distinct("ADD:", 3)))
    ace = ACE().learn(task="t", agent="a", records=records, samples={},
                      llm=scripted(lambda p: distinct("NEW strategies:", 2)))
    return {"expel": expel, "ace": ace}


@pytest.mark.parametrize("counter", [None, lambda s: len(s.split())], ids=["approx", "words"])
def test_render_stays_within_its_token_budget(counter):
    for name, content in _big_contents().items():
        assert len(content.get("insights", content.get("items"))) > 5, name
        for budget in (60, 300, 900):
            content["settings"]["budget_tokens"] = budget
            text = get_method(name).render(content, Sample("q", "Question about topic 3?"), count_tokens=counter)
            assert text.strip(), (name, budget)
            assert (counter or approx_token_count)(text) <= budget, (name, budget)


@pytest.mark.parametrize("name", ["expel", "ace"])
def test_learnt_memory_file_round_trip(name, tmp_path):
    assert name in method_names()
    content = _big_contents()[name]
    memory = LearntMemory(method=name, content=content, train_ids=[f"s{n}" for n in range(6)], task="hotpotqa",
                          agent="cot_no_context", model={"backend": "callable"}, feedback="oracle",
                          prompt_hashes={}, learn_usage=content["usage"],
                          split={"seed": 0, "fold": None, "folds": None, "name": "train"})
    again = LearntMemory.load(memory.save(tmp_path / "memory.json"))
    assert again == memory and again.digest() == memory.digest()
    probe = Sample("q", "Question about topic 3?")
    assert again.render(probe) == memory.render(probe) != ""


# ------------------------------------------------- the mechanics: a memory that holds the insight
def _actor(gold_by_question, insight):
    """Answers right only when the prompt holds ``insight`` (or, on a retry, a reflection)."""
    def answer(prompt):
        if prompt.rstrip().endswith("Reflection:"):
            return " I should have named the entity."
        question = prompt.rsplit("Question: ", 1)[1].split("\n", 1)[0]
        knows = insight in prompt or "Your notes from those attempts" in prompt
        guess = gold_by_question[question] if knows else "a description of something"
        return f" Let me think.\nAction: Finish[{guess}]"
    return answer


def _learner(insight):
    """ExpeL's extractor and ACE's reflector, scripted: a failure beside a success teaches ``insight``."""
    def answer(prompt):
        if "FAILED ATTEMPT:" in prompt and "SUCCESSFUL ATTEMPT:" in prompt:
            return f"ADD: {insight}"
        if "ATTEMPT 2 (verdict: succeeded)" in prompt:
            return f"HELPFUL: none\nNEW strategies: {insight}"
        return "UPVOTE 1"
    return answer


def _records(run_dir):
    with open(f"{run_dir}/attempts.jsonl") as lines:
        return [json.loads(line) for line in lines]


@pytest.mark.parametrize("name", ["expel", "ace"])
def test_a_learner_solves_held_out_samples_only_when_the_memory_holds_the_right_insight(name, sample, tmp_path):
    task = get_task("hotpotqa")
    train, test = task.to_samples(sample.head(3)), task.to_samples(sample.iloc[3:7])
    gold = {s.input: s.target for s in train + test}
    actor = CallableLLM(_actor(gold, INSIGHT), name="actor")
    trained = run_trials("cot_no_context", train, n_trials=2, llm=actor, strategy="reinagent", root=tmp_path,
                         run_name="train", progress=False, cache=False)
    records = _records(trained.attrs["run_dir"])
    assert [r["success"] for r in records if r["trial"] == 1] == [False] * 3   # a failure, then...
    assert all(r["success"] for r in records if r["trial"] == 2)              # ...a success on each

    def learnt(insight):
        content = get_method(name).learn(task="hotpotqa", agent="cot_no_context", records=records,
                                         samples={s.id: s for s in train}, llm=CallableLLM(_learner(insight), name="l"))
        return LearntMemory(method=name, content=content, train_ids=[s.id for s in train], task="hotpotqa",
                            agent="cot_no_context", model={}, feedback="oracle", prompt_hashes={},
                            learn_usage=content["usage"], split={"seed": 0, "fold": None, "folds": None, "name": "train"})

    scores = {}
    for arm, memory in (("right", learnt(INSIGHT)), ("wrong", learnt(OTHER)), ("no", None)):
        if memory is not None and arm == "right":   # from the file, as `python -m agents run --memory` reads it
            memory = memory.save(tmp_path / f"{name}.json")
        frame = run_trials("cot_no_context", test, n_trials=1, llm=actor, strategy="none", root=tmp_path,
                           run_name=arm, progress=False, cache=False, memory_file=memory)
        scores[arm] = frame.correct.tolist()
    assert scores == {"right": [True] * 4, "wrong": [False] * 4, "no": [False] * 4}


# ---------------------------------------------------------------- the embedded model, end to end
@pytest.fixture(scope="module")
def embedded_run(sample, tmp_path_factory):
    """Three HotPotQA samples, two trials each, on Gemma 3 270M. The tiny model rarely answers
    right, so a scripted evaluator fails each sample's first answer and passes its second: the
    pairs ExpeL compares and the attempts ACE reviews are the real model's own trajectories."""
    pytest.importorskip("llama_cpp", reason="the embedded model needs llama-cpp-python (requirements.txt)")
    from agents import make_llm
    llm = make_llm("local")
    task = get_task("hotpotqa")
    train = task.to_samples(sample.head(3))
    seen = set()

    def second_time_lucky(answer, target):
        passed = target in seen
        seen.add(target)
        return passed
    frame = run_trials("cot_no_context", train, n_trials=2, llm=llm, root=tmp_path_factory.mktemp("embedded"),
                       run_name="train", progress=False, cache=False, evaluator=second_time_lucky)
    return llm, train, _records(frame.attrs["run_dir"])


@pytest.mark.parametrize("name", ["expel", "ace"])
def test_learning_on_the_embedded_model_finishes_with_valid_content(name, embedded_run, sample):
    llm, train, records = embedded_run
    assert [r["success"] for r in sorted(records, key=lambda r: (r["sample_id"], r["trial"]))] == [False, True] * 3
    method = get_method(name)
    started = time.monotonic()
    content = method.learn(task="hotpotqa", agent="cot_no_context", records=records,
                           samples={s.id: s for s in train}, llm=llm)
    assert time.monotonic() - started < 300
    json.loads(json.dumps(content))                              # JSON-able, whatever the model wrote
    learnt = [i["text"] for i in content.get("insights", content.get("items", []))]
    assert not any(is_placeholder(text) for text in learnt)       # a copied "<...>" slot is no lesson
    # ExpeL: 3 pairs + 1 batch of 3 successes; ACE: one review per sample
    assert content["usage"]["calls"] == {"expel": 4, "ace": 3}[name] and content["usage"]["input_tokens"] > 0
    probe = get_task("hotpotqa").to_samples(sample.iloc[5:6])[0]
    shown = method.render(content, probe, count_tokens=llm.count_tokens)
    assert llm.count_tokens(shown) <= content["settings"]["budget_tokens"]
    if name == "expel":
        assert len(content["examples"]) == 3 and "Solved tasks similar" in shown   # retrieval needs no model
    print(f"\n{name}: {content['usage']} stats={json.dumps(content['stats'])}\n{shown}")


@pytest.mark.parametrize("name", ["expel", "ace"])
def test_online_the_insight_learnt_from_one_test_sample_solves_the_next(name, sample, tmp_path):
    """Online mode: sample 1 fails, is solved on its retry, and is learnt from after it is scored;
    samples 2.. then see the insight and are solved at their first trial."""
    task = get_task("hotpotqa")
    stream = task.to_samples(sample.iloc[10:13])
    act, teach = _actor({s.input: s.target for s in stream}, INSIGHT), _learner(INSIGHT)
    model = CallableLLM(lambda p: teach(p) if p.rstrip().endswith(("Operations:", "Review:")) else act(p),
                        name="online")
    frame = run_trials("cot_no_context", stream, n_trials=2, llm=model, strategy="reinagent", root=tmp_path,
                       run_name="online", progress=False, cache=False, online=name)
    records = _records(frame.attrs["run_dir"])
    first_trials = {r["sample_id"]: r["correct"] for r in records if r["trial"] == 1}
    assert first_trials == {stream[0].id: False, stream[1].id: True, stream[2].id: True}
