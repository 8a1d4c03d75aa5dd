"""Deterministic stratified splits."""

import numpy as np
import pytest

from tl_course import splits


def test_splits_cover_everything_once_and_are_stratified():
    labels = np.repeat([0, 1, 2], [40, 20, 10])
    train, val, test = splits.split_indices(labels, 0.2, 0.1, seed=3)
    together = np.concatenate([train, val, test])
    assert sorted(together.tolist()) == list(range(len(labels)))
    assert not set(train) & set(val) and not set(train) & set(test) and not set(val) & set(test)
    assert np.bincount(labels[val]).tolist() == [8, 4, 2]
    assert np.bincount(labels[test]).tolist() == [4, 2, 1]


def test_same_seed_same_split_other_seed_other_split():
    labels = np.repeat([0, 1], 30)
    a = splits.split_indices(labels, seed=1)
    b = splits.split_indices(labels, seed=1)
    c = splits.split_indices(labels, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("val,test", [(-0.1, 0.1), (0.5, 0.5), (1.0, 0.0)])
def test_bad_fractions(val, test):
    with pytest.raises(ValueError, match="Expected val_fraction"):
        splits.split_indices([0, 1, 0, 1], val, test)
