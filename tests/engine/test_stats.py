"""The statistics against independent references: a plain loop with the same draw contract (exact),
``scipy.stats.bootstrap`` (own draws, so within one step of 1/n), ``scipy.stats.binomtest`` and
``statsmodels``' exact McNemar; the Wilson interval against scipy's and statsmodels'; Newcombe's paired
interval against statsmodels' square-and-add where the pairs' correlation term is 0, against the
published worked example where it is not, and by its exact coverage.

The fixture (also used by the analysis and viewer tests) is two strategies over the same 30
questions under oracle feedback, plus a self-feedback run whose wrong "success" and regressions
only self feedback can produce.
"""
import random
import warnings

import numpy as np
import pytest

from agents.engine.stats import (TINY_N, bootstrap_ci, mcnemar_exact, newcombe_paired_ci, newcombe_paired_interval,
                                 outcome_matrix, pair, paired_bootstrap, wilson_ci, wilson_interval)

IDS = [f"q{i:02d}" for i in range(1, 31)]
N_TRIALS = 4
MODEL = "scripted-7b"
ENVIRONMENT = "offline docstore, 1000 pages"


def _trajectory(sid: str, trial: int) -> str:
    """Three steps; the second line (the first action) changes with the trial, so consecutive
    trials diverge at line 2."""
    return "\n".join([f"Thought 1: I need to look up {sid}.",
                      f"Action 1: Search[{sid} variant {trial}]",
                      f"Observation 1: page about {sid} (trial {trial}).",
                      f"Action 2: Finish[answer {trial}]"])


def _record(sid, trial, correct, strategy, source, success=None, reflections=(), **extra):
    success = correct if success is None else success
    record = {
        "task": "hotpotqa", "sample_id": sid, "trial": trial, "agent": "react", "strategy": strategy,
        "input": f"Which film links the people in {sid}?", "answer": f"answer {trial}",
        "trajectory": _trajectory(sid, trial), "reflections": list(reflections), "last_attempt": "",
        "feedback": {"success": success, "message": "exact match" if success else "answer is wrong",
                     "source": source},
        "feedback_source": source, "success": success, "correct": correct,
        "scores": {"em": correct, "f1": 1.0 if correct else 0.2}, "halted": False, "error": None,
        "input_tokens": 900 * trial, "output_tokens": 60, "cost_usd": 0.0, "llm_calls": 3}
    record.update(extra)
    return record


def _oracle_run(strategy: str, solve_at: dict) -> list:
    """Oracle feedback: each sample retried until correct; ``solve_at[sid]`` is its first correct
    trial (None: never). Reinagent attempts are shown one reflection per earlier trial."""
    records = []
    for sid in IDS:
        last = min(solve_at[sid] or N_TRIALS, N_TRIALS)
        for trial in range(1, last + 1):
            notes = [f"Reflection {j} on {sid}: search the film, not the actor." for j in range(1, trial)] \
                if strategy == "reinagent" else []
            extra = {"halted": True} if (trial == 1 and sid == "q07") else {}
            records.append(_record(sid, trial, trial == solve_at[sid], strategy, "oracle",
                                   reflections=notes, **extra))
    return records


def make_runs():
    """[(records, manifest)] x 3: react base and reinagent (oracle), and reinagent under self feedback."""
    rng = random.Random(7)
    first = {sid: 1 if rng.random() < 0.35 else None for sid in IDS}
    base = {sid: first[sid] or (rng.choice([2, 3]) if rng.random() < 0.15 else None) for sid in IDS}
    reflect = {sid: first[sid] or (rng.choice([2, 3, 4]) if rng.random() < 0.6 else None) for sid in IDS}
    reflect["q03"], base["q03"] = 2, None   # a sure "fixed by a reflection" for the viewer test
    reflect["q30"], base["q30"] = None, None  # a sure "never solved"
    runs = []
    for strategy, solve_at in (("base", base), ("reinagent", reflect)):
        records = _oracle_run(strategy, solve_at)
        if strategy == "base":  # an error row: counts as incorrect even though "correct" says True
            records = [r for r in records if r["sample_id"] != "q29"]
            records.append(_record("q29", 1, True, "base", "oracle", error="RateLimitError: retry later"))
        runs.append((records, _manifest(strategy, "oracle")))
    # Self feedback: q05 is right at trial 2 but thinks it is wrong, then wrong with "success" at 3
    # (regressed); q06 claims success on a wrong answer at trial 1; the rest as the oracle run.
    self_records = []
    for sid in IDS:
        if sid == "q05":
            self_records += [_record(sid, 1, False, "reinagent", "self"),
                             _record(sid, 2, True, "reinagent", "self", success=False,
                                     reflections=["Reflection 1 on q05: check the year."]),
                             _record(sid, 3, False, "reinagent", "self", success=True,
                                     reflections=["Reflection 1 on q05: check the year.",
                                                  "Reflection 2 on q05: trust the first page."])]
        elif sid == "q06":
            self_records.append(_record(sid, 1, False, "reinagent", "self", success=True))
        else:
            self_records += [dict(r, feedback_source="self", feedback=dict(r["feedback"], source="self"))
                             for r in runs[1][0] if r["sample_id"] == sid]
    runs.append((self_records, _manifest("reinagent", "self")))
    return runs


def _manifest(strategy, source):
    return {"task": "hotpotqa", "agent": "react", "strategy": strategy, "model_id": MODEL,
            "feedback_source": source, "n_trials": N_TRIALS, "dataset_ids": list(IDS),
            "environment": ENVIRONMENT}


@pytest.fixture(scope="module")
def matrices():
    runs = make_runs()
    return [outcome_matrix(records, manifest["dataset_ids"], N_TRIALS) for records, manifest in runs]


# ---------------------------------------------------------------------------------- outcome matrix
def test_matrix_carries_the_latest_answer_forward(matrices):
    ids, base = matrices[0]
    _, reflect = matrices[1]
    assert ids == IDS and base.shape == (30, N_TRIALS) and base.dtype == bool
    assert (np.diff(reflect.astype(int), axis=1) >= 0).all()  # oracle feedback: solved stays solved
    assert not base[IDS.index("q29")].any()                    # the error row is not correct
    assert reflect[IDS.index("q03")].tolist() == [False, True, True, True]


def test_self_feedback_can_regress(matrices):
    _, self_run = matrices[2]
    assert self_run[IDS.index("q05")].tolist() == [False, True, False, False]
    assert self_run[IDS.index("q06")].tolist() == [False] * N_TRIALS  # wrong "success" stays wrong


def test_manifest_ids_are_the_denominator_and_strangers_are_reported():
    records = [{"sample_id": "a", "trial": 1, "correct": True}, {"sample_id": "z", "trial": 1, "correct": True}]
    with pytest.warns(UserWarning, match="not in sample_ids"):
        ids, m = outcome_matrix(records, ["a", "b"], 2)
    assert ids == ["a", "b"] and m.tolist() == [[True, True], [False, False]]


def test_a_repeated_trial_keeps_the_later_record():
    records = [{"sample_id": "a", "trial": 1, "correct": False}, {"sample_id": "a", "trial": 1, "correct": True}]
    assert outcome_matrix(records)[1].tolist() == [[True]]


# ---------------------------------------------------------------------------------- bootstrap CI
def _loop_bootstrap(matrices, n_resamples, seed):
    """The documented draw contract written as the obvious loop: per resample, n row indices."""
    rng = np.random.default_rng(seed)
    n = matrices[0].shape[0]
    rates = [np.empty((n_resamples, m.shape[1])) for m in matrices]
    for r in range(n_resamples):
        idx = rng.integers(0, n, size=n)
        for m, out in zip(matrices, rates):
            out[r] = m[idx].mean(axis=0)
    return rates


def test_ci_equals_a_plain_loop_with_the_same_draws(matrices):
    _, m = matrices[1]
    ci = bootstrap_ci(m, n_resamples=10_000, level=0.95, seed=11)
    (rates,) = _loop_bootstrap([m], 10_000, 11)
    low, high = np.percentile(rates, [2.5, 97.5], axis=0)
    np.testing.assert_allclose(ci.low, low, atol=1e-12)
    np.testing.assert_allclose(ci.high, high, atol=1e-12)
    np.testing.assert_allclose(ci.rate, m.mean(axis=0))
    assert (ci.n, ci.n_resamples, ci.level, ci.seed) == (30, 10_000, 0.95, 11)


def test_ci_agrees_with_scipy_bootstrap(matrices):
    """scipy draws its own resamples, so endpoints may differ by one step of the rate grid (1/n)."""
    from scipy.stats import bootstrap

    for _, m in matrices[:2]:
        ci = bootstrap_ci(m, n_resamples=10_000, seed=0)
        for k in range(m.shape[1]):
            column = m[:, k].astype(float)
            ref = bootstrap((column,), np.mean, n_resamples=10_000, confidence_level=0.95,
                            method="percentile", rng=np.random.default_rng(123))
            assert abs(ci.low[k] - ref.confidence_interval.low) <= 1 / 30 + 1e-9
            assert abs(ci.high[k] - ref.confidence_interval.high) <= 1 / 30 + 1e-9


def test_ci_is_seeded(matrices):
    _, m = matrices[0]
    a, b = bootstrap_ci(m, 2000, seed=5), bootstrap_ci(m, 2000, seed=5)
    assert np.array_equal(a.low, b.low) and np.array_equal(a.high, b.high)


def test_ci_rejects_an_empty_matrix():
    with pytest.raises(ValueError, match="outcome_matrix"):
        bootstrap_ci(np.zeros((0, 3), bool))


# ---------------------------------------------------------------------------------- McNemar
def test_mcnemar_matches_scipy_binomtest_on_the_fixture(matrices):
    from scipy.stats import binomtest

    (_, base), (_, reflect) = matrices[0], matrices[1]
    for k in range(N_TRIALS):
        result = mcnemar_exact(reflect[:, k], base[:, k])
        assert result.b == int((reflect[:, k] & ~base[:, k]).sum())
        assert result.c == int((~reflect[:, k] & base[:, k]).sum())
        assert result.discordant == result.b + result.c
        if result.discordant:
            assert result.pvalue == pytest.approx(binomtest(result.b, result.discordant, 0.5).pvalue, rel=1e-12)
    assert mcnemar_exact(reflect[:, -1], base[:, -1]).b > 0


@pytest.mark.parametrize("b,c", [(0, 1), (1, 0), (3, 3), (0, 12), (9, 1), (25, 40), (1, 200)])
def test_mcnemar_matches_binomtest_and_statsmodels(b, c):
    from scipy.stats import binomtest

    a_vec = [True] * b + [False] * c + [True] * 4 + [False] * 2
    b_vec = [False] * b + [True] * c + [True] * 4 + [False] * 2
    result = mcnemar_exact(a_vec, b_vec)
    assert (result.b, result.c, result.discordant) == (b, c, b + c)
    assert result.pvalue == pytest.approx(binomtest(b, b + c, 0.5).pvalue, rel=1e-12)
    try:
        from statsmodels.stats.contingency_tables import mcnemar
    except ImportError:
        return  # optional cross-check (pip install "statsmodels>=0.14,<0.16")
    assert result.pvalue == pytest.approx(mcnemar([[4, b], [c, 2]], exact=True).pvalue, rel=1e-9)


def test_mcnemar_without_discordant_pairs_is_p_one():
    result = mcnemar_exact([True, False, True], [True, False, True])
    assert (result.b, result.c, result.discordant, result.pvalue) == (0, 0, 0, 1.0)


def test_mcnemar_refuses_unpaired_lengths():
    with pytest.raises(ValueError, match="pair"):
        mcnemar_exact([True, False], [True])


# ---------------------------------------------------------------------------------- pairing
def test_pairing_uses_the_intersection_only():
    ids, a, b = pair(["q1", "q2", "q3"], np.array([[1, 1], [0, 1], [0, 0]], bool),
                     ["q3", "q2", "q9"], np.array([[1, 1, 1], [0, 0, 0], [1, 1, 1]], bool))
    assert ids == ["q2", "q3"]
    assert a.tolist() == [[False, True], [False, False]]
    assert b.tolist() == [[False, False], [True, True]]  # rows re-ordered to match, trials cut to 2


def test_empty_intersection_is_a_clear_error():
    with pytest.raises(ValueError, match="share no sample ids"):
        pair(["a"], np.ones((1, 1), bool), ["b"], np.ones((1, 1), bool))


# ---------------------------------------------------------------------------------- paired bootstrap
def test_paired_bootstrap_equals_the_loop_with_shared_draws(matrices):
    (_, base), (_, reflect) = matrices[0], matrices[1]
    result = paired_bootstrap(reflect, base, n_resamples=5000, seed=3)
    ra, rb = _loop_bootstrap([reflect, base], 5000, 3)
    diffs = ra - rb
    np.testing.assert_allclose(result.diff, reflect.mean(0) - base.mean(0))
    np.testing.assert_allclose(result.low, np.percentile(diffs, 2.5, axis=0), atol=1e-12)
    np.testing.assert_allclose(result.high, np.percentile(diffs, 97.5, axis=0), atol=1e-12)
    tails = np.minimum((diffs <= 0).sum(0), (diffs >= 0).sum(0))
    np.testing.assert_allclose(result.pvalue, np.minimum(1, 2 * (tails + 1) / 5001))
    # Trial 1 differs only by base's error row (q29); by trial 4 reflections have fixed many more.
    assert abs(result.diff[0]) <= 1 / 30 + 1e-12 and result.pvalue[0] > 0.5
    assert result.diff[-1] > 0.2 and result.pvalue[-1] < 0.01


def test_identical_runs_differ_by_nothing(matrices):
    _, m = matrices[1]
    result = paired_bootstrap(m, m, n_resamples=1000)
    assert not result.diff.any() and not result.low.any() and not result.high.any()
    assert (result.pvalue == 1.0).all()


def test_paired_bootstrap_refuses_unpaired_shapes():
    with pytest.raises(ValueError, match="pair"):
        paired_bootstrap(np.ones((3, 2), bool), np.ones((4, 2), bool))


def test_fixture_has_no_stray_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for records, manifest in make_runs():
            outcome_matrix(records, manifest["dataset_ids"], manifest["n_trials"])


# ---------------------------------------------------------------------------------- Wilson (issue 21 item 1)
@pytest.mark.parametrize("n", [1, 3, 12, 30, 134])
def test_wilson_matches_scipy_and_statsmodels(n):
    from scipy.stats import binomtest
    from statsmodels.stats.proportion import proportion_confint

    for k in range(n + 1):
        low, high = (float(x) for x in wilson_interval(k, n))
        reference = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert (low, high) == pytest.approx((reference.low, reference.high), abs=1e-12)
        assert (low, high) == pytest.approx(proportion_confint(k, n, alpha=0.05, method="wilson"), abs=1e-12)


def test_wilson_never_collapses_at_zero_or_n():
    """The issue: 0/3 and 0/12 reported as [0.00, 0.00]. No share, at any n, gets a zero-width interval."""
    for n in range(1, 60):
        for k in (0, n):
            low, high = (float(x) for x in wilson_interval(k, n))
            assert high - low > 0.05, (k, n)
    ci = wilson_ci(np.zeros((3, 2), bool))
    assert ci.tiny and (ci.low == 0).all() and (ci.high > 0.5).all() and TINY_N > 3
    assert not wilson_ci(np.zeros((30, 1), bool)).tiny


def test_the_bootstrap_collapses_where_wilson_does_not():
    """Why the default changed: the percentile bootstrap of 0/12 is [0, 0]."""
    zeros = np.zeros((12, 1), bool)
    boot = bootstrap_ci(zeros, n_resamples=500)
    assert boot.low[0] == boot.high[0] == 0.0
    assert wilson_ci(zeros).high[0] == pytest.approx(0.2425, abs=1e-4)


# ---------------------------------------------------------------------------------- Newcombe (issue 21 item 1)
@pytest.mark.parametrize("table", [(0, 0, 0, 3), (0, 0, 2, 10), (0, 0, 12, 0), (0, 0, 5, 25), (0, 7, 0, 3),
                                   (4, 0, 0, 0), (0, 3, 0, 0)])
def test_newcombe_equals_statsmodels_square_and_add_when_phi_is_zero(table):
    """With a marginal total of 0 the correlation term vanishes and the paired interval is the
    square-and-add of the two Wilson intervals: statsmodels' ``newcomb`` for two proportions."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    a, b, c, d = table
    n = sum(table)
    diff, low, high = newcombe_paired_interval(*table)
    ref = confint_proportions_2indep(a + b, n, a + c, n, method="newcomb", compare="diff", alpha=0.05)
    assert diff == pytest.approx((b - c) / n)
    assert (low, high) == pytest.approx((float(ref[0]), float(ref[1])), abs=1e-9)


def test_newcombe_reproduces_the_published_example():
    """Altman, Machin, Bryant & Gardner (2000), *Statistics with Confidence*, Table 6.2: 41 pairs,
    14 both, 5 only A, 0 only B, 22 neither -> 0.122, 95% CI 0.011 to 0.226 (Newcombe's method 10)."""
    diff, low, high = newcombe_paired_interval(14, 5, 0, 22)
    assert (round(diff, 3), round(low, 3), round(high, 3)) == (0.122, 0.011, 0.226)


def _exact_coverage(n, probabilities, level=0.95):
    """P(interval covers the true difference) over every paired 2x2 table of n pairs."""
    from scipy.stats import multinomial

    truth = (probabilities[0] + probabilities[1]) - (probabilities[0] + probabilities[2])
    covered = 0.0
    for a in range(n + 1):
        for b in range(n + 1 - a):
            for c in range(n + 1 - a - b):
                d = n - a - b - c
                _, low, high = newcombe_paired_interval(a, b, c, d, level)
                if low - 1e-12 <= truth <= high + 1e-12:
                    covered += multinomial.pmf([a, b, c, d], n, probabilities)
    return covered


@pytest.mark.parametrize("probabilities", [(0.0, 0.0, 0.0, 1.0), (0.05, 0.05, 0.0, 0.9), (0.3, 0.2, 0.1, 0.4),
                                           (0.1, 0.3, 0.05, 0.55), (0.6, 0.1, 0.1, 0.2)])
def test_newcombe_covers_near_its_level_at_small_n(probabilities):
    """At n = 12 pairs the interval covers the true difference about 95 % of the time (computed
    exactly over every table), including where every sample fails: it does not claim certainty."""
    assert _exact_coverage(12, probabilities) >= 0.92


def test_two_all_failing_runs_of_three_are_not_certain():
    """The issue's paired row: 0/3 against 0/3 read '+0.000 [+0.000, +0.000]'."""
    ci = newcombe_paired_ci(np.zeros((3, 2), bool), np.zeros((3, 2), bool))
    assert ci.tiny and (ci.diff == 0).all() and (ci.low < -0.5).all() and (ci.high > 0.5).all()
    assert mcnemar_exact([False] * 3, [False] * 3).pvalue == 1.0  # no evidence either way


def test_newcombe_per_trial_matches_the_table_counts(matrices):
    (_, base), (_, reflect) = matrices[0], matrices[1]
    ci = newcombe_paired_ci(reflect, base)
    for k in range(N_TRIALS):
        a, b = reflect[:, k], base[:, k]
        expected = newcombe_paired_interval(int((a & b).sum()), int((a & ~b).sum()), int((~a & b).sum()),
                                            int((~a & ~b).sum()))
        assert (ci.diff[k], ci.low[k], ci.high[k]) == pytest.approx(expected)
        assert ci.low[k] <= ci.diff[k] <= ci.high[k]
