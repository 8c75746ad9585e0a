"""EM and F1 with HotPotQA's answer normalization."""
import pytest

from agents.tasks.hotpotqa.scoring import exact_match, exact_match_evaluator, f1, normalize_answer


@pytest.mark.parametrize("text, normalized", [
    ("The Answer!", "answer"),
    ("  An  apple, a day. ", "apple day"),
    ("Theatre", "theatre"),                 # 'the' only as a whole word
    ("Gesellschaft mit beschränkter Haftung", "gesellschaft mit beschränkter haftung"),
    ('"Read It and Weep" (2006)', "read it and weep 2006"),
])
def test_normalize_answer(text, normalized):
    assert normalize_answer(text) == normalized


def test_exact_match_and_f1():
    assert exact_match("the Cold War", "Cold War") and not exact_match("Cold War era", "Cold War")
    assert f1("Cold War", "the Cold War (1947–91)") == pytest.approx(0.8)  # 2 of 3 gold tokens
    assert f1("", "yes") == 0.0 and f1("yes", "yes") == 1.0 and f1("no", "no answer") == 0.0
    assert f1("Papa Gino's", "Papa Gino's") == 1.0


def test_evaluator_binds_the_gold_answer():
    judge = exact_match_evaluator("Sam Boyd Stadium")
    assert judge("sam boyd stadium.") and not judge("Sam Boyd")
