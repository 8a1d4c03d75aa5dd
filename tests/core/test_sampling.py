"""Per-class draws: splits, labelled subsets, few-shot sets."""

import numpy as np
import pytest

from tl_course.core import sampling


def test_splits_cover_everything_once_and_are_stratified():
    labels = np.repeat([0, 1, 2], [40, 20, 10])
    train, val, test = sampling.split_indices(labels, 0.2, 0.1, seed=3)
    together = np.concatenate([train, val, test])
    assert sorted(together.tolist()) == list(range(len(labels)))
    assert not set(train) & set(val) and not set(train) & set(test) and not set(val) & set(test)
    assert np.bincount(labels[val]).tolist() == [8, 4, 2]
    assert np.bincount(labels[test]).tolist() == [4, 2, 1]


def test_same_seed_same_split_other_seed_other_split():
    labels = np.repeat([0, 1], 30)
    a = sampling.split_indices(labels, seed=1)
    b = sampling.split_indices(labels, seed=1)
    c = sampling.split_indices(labels, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("val,test", [(-0.1, 0.1), (0.5, 0.5), (1.0, 0.0)])
def test_bad_fractions(val, test):
    with pytest.raises(ValueError, match="Expected val_fraction"):
        sampling.split_indices([0, 1, 0, 1], val, test)


def test_labelled_split_is_stratified_seeded_and_a_partition():
    y = np.repeat([0, 1, 2], [20, 10, 3])
    lab, unl = sampling.labelled_split(y, 0.1, seed=3)
    assert np.bincount(y[lab]).tolist() == [2, 1, 1]  # rounded share, at least one per class
    assert np.array_equal(np.sort(np.concatenate([lab, unl])), np.arange(len(y)))
    assert np.array_equal(lab, sampling.labelled_split(y, 0.1, seed=3)[0])
    assert not np.array_equal(lab, sampling.labelled_split(y, 0.1, seed=4)[0])
    assert len(sampling.labelled_split(y, 1.0)[1]) == 0


@pytest.mark.parametrize("fraction", [0, -0.1, 1.5])
def test_labelled_split_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="fraction in \\(0, 1\\]"):
        sampling.labelled_split([0, 1], fraction)


def test_labelled_split_per_class_budget_is_nested_and_size_free():
    small, large = np.repeat([0, 1, 2], [20, 30, 40]), np.repeat([0, 1, 2], [200, 300, 400])
    for labels in (small, large):
        lab, unl = sampling.labelled_split(labels, per_class=4, seed=1)
        assert np.bincount(labels[lab]).tolist() == [4, 4, 4] and len(lab) + len(unl) == len(labels)
    five, _ = sampling.labelled_split(small, per_class=5, seed=1)
    assert set(sampling.labelled_split(small, per_class=2, seed=1)[0]) <= set(five), "a smaller budget is inside a larger one"
    with pytest.raises(ValueError, match="one of fraction or per_class"):
        sampling.labelled_split(small, 0.1, per_class=2)
    with pytest.raises(ValueError, match="per_class >= 1"):
        sampling.labelled_split(small, per_class=0)


def test_per_class_sample():
    labels = np.repeat([0, 1, 2], [5, 6, 7])
    chosen = sampling.per_class_sample(labels, 4, seed=3)
    assert np.bincount(labels[chosen]).tolist() == [4, 4, 4] and len(set(chosen)) == 12
    assert np.array_equal(chosen, sampling.per_class_sample(labels, 4, seed=3))
    assert not np.array_equal(chosen, sampling.per_class_sample(labels, 4, seed=4))
    with pytest.raises(ValueError, match="at least 6 examples of class 0; received 5"):
        sampling.per_class_sample(labels, 6)
