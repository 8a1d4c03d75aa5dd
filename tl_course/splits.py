"""Deterministic, stratified train/validation/test splits.

Every lesson splits the same way, so "the same split" in a comparison really
is the same files. The split depends only on the labels' order and the seed.
"""

import numpy as np

__all__ = ["split_folder", "split_indices"]


def split_indices(labels, val_fraction=0.15, test_fraction=0.15, seed=0):
    """Split example indices per class into train, validation and test.

    Each class is shuffled with a generator seeded by `(seed, class)`, then
    cut by the fractions (rounded; each split gets at least one example of a
    class that has three or more).

    Args:
        labels: int array-like `(n,)`.
        val_fraction: fraction of each class for validation, in [0, 1).
        test_fraction: fraction of each class for test, in [0, 1).
        seed: int.

    Returns:
        `(train, val, test)`: sorted int arrays that never overlap and cover
        every index.

    Raises:
        ValueError: fractions outside [0, 1) or summing to 1 or more.
    """
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            "Expected val_fraction and test_fraction in [0, 1) with a sum below 1; "
            f"received {val_fraction} and {test_fraction}."
        )
    labels = np.asarray(labels)
    parts = ([], [], [])
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        members = members[np.random.default_rng([seed, int(cls)]).permutation(len(members))]
        n_val = _count(len(members), val_fraction)
        n_test = _count(len(members), test_fraction)
        parts[1].append(members[:n_val])
        parts[2].append(members[n_val:n_val + n_test])
        parts[0].append(members[n_val + n_test:])
    return tuple(np.sort(np.concatenate(p)).astype(int) for p in parts)


def _count(n, fraction):
    if fraction == 0:
        return 0
    return max(1, int(round(n * fraction))) if n >= 3 else 0


def split_folder(folder, val_fraction=0.15, test_fraction=0.15, seed=0):
    """Split an `images.ImageFolder` into `(train, val, test)` folders."""
    indices = split_indices(folder.labels, val_fraction, test_fraction, seed)
    return tuple(folder.subset(i) for i in indices)
