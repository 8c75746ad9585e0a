"""Splits (issue 20 item 2): reproducible, disjoint, covering; folds; the real tasks' sample ids."""
import pytest

from agents.memory.transfer.splits import SplitSpec, load_split, rank, split_samples
from agents.tasks import get_task
from agents.types import Sample


IDS = [f"id{i}" for i in range(37)]


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_train_and_test_are_disjoint_cover_and_repeat(seed):
    spec = SplitSpec(seed=seed)
    train, test = spec.train(IDS), spec.test(IDS)
    assert not set(train) & set(test) and sorted(train + test) == sorted(IDS)
    assert len(train) == round(37 * 0.5)
    assert (train, test) == (SplitSpec(seed=seed).train(IDS[::-1]), SplitSpec(seed=seed).test(IDS[::-1]))


def test_another_seed_is_another_split_and_an_id_keeps_its_side_when_others_come():
    assert SplitSpec(seed=0).train(IDS) != SplitSpec(seed=1).train(IDS)
    # ranking is by the id's own hash: removing samples never moves the others in the order
    order = rank(IDS, 3)
    assert rank(IDS[:20], 3) == [sid for sid in order if sid in set(IDS[:20])]


def test_train_fraction():
    assert len(SplitSpec(train_fraction=0.8).train(IDS)) == 30
    with pytest.raises(ValueError, match="train_fraction"):
        SplitSpec(train_fraction=1.0)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_folds_partition_and_each_trains_on_the_others(k):
    tests = [SplitSpec(folds=k, fold=f).test(IDS) for f in range(k)]
    assert sorted(sum(tests, [])) == sorted(IDS)
    for f in range(k):
        spec = SplitSpec(folds=k, fold=f)
        assert set(spec.train(IDS)) == set(IDS) - set(tests[f])


def test_fold_options_are_checked():
    with pytest.raises(ValueError, match="--fold k"):
        SplitSpec(folds=2)
    with pytest.raises(ValueError, match="--fold needs --folds"):
        SplitSpec(fold=1)
    with pytest.raises(ValueError, match="at least 2"):
        SplitSpec(folds=1, fold=0)


def test_samples_n_takes_the_first_of_its_own_side():
    samples = [Sample(i, "") for i in IDS]
    train4 = [s.id for s in split_samples(samples, "train", SplitSpec(), n=4)]
    test4 = [s.id for s in split_samples(samples, "test", SplitSpec(), n=4)]
    assert train4 == SplitSpec().train(IDS)[:4] and not set(train4) & set(test4)


@pytest.mark.parametrize("task, total", [("hotpotqa", 100), ("humaneval", 164), ("alfworld", None)])
def test_the_tasks_samples_split_by_their_ids(task, total):
    task = get_task(task)
    everything = task.load()
    if total is not None:
        assert len(everything) == total
    train = load_split(task, "train", SplitSpec())
    test = load_split(task, "test", SplitSpec())
    assert len(train) + len(test) == len(everything)
    assert not {s.id for s in train} & {s.id for s in test}
    assert [s.id for s in load_split(task, "test", SplitSpec())] == [s.id for s in test]
