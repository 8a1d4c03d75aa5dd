"""Every per-class draw of the course: splits, labelled subsets, few-shot sets, quick-mode subsets.

One rule serves them all (`class_order`): the members of each class are put
in an order seeded by `(seed, class)`, and a draw takes a prefix of that
order. So a draw depends only on the labels and the seed, a class's draw does
not depend on the other classes, and a smaller draw is always part of a larger
one with the same seed (the 1-shot set is inside the 5-shot set).

Used by every lesson: `split_folder` in 01-03, `labelled_split` in
04_semi_supervised, `per_class_sample` in 05_sequential_transfer, and
`images.scan_image_folder(per_class=...)` for quick mode.
"""

import numpy as np

__all__ = ["class_order", "labelled_split", "per_class_sample", "seeded_order", "split_folder", "split_indices"]


def seeded_order(n, seed, stream):
    """Return a permutation of `range(n)` drawn from a generator seeded by `(seed, stream)`.

    Args:
        n: how many items.
        seed: int, the draw.
        stream: int, which group (a class index) is drawn, so groups never share a stream.
    """
    return np.random.default_rng([int(seed), int(stream)]).permutation(int(n))


def class_order(labels, seed):
    """Return `{class: indices of that class, in the seeded order of the draw}`.

    Args:
        labels: int array-like `(n,)`, non-negative.
        seed: int.
    """
    labels = np.asarray(labels)
    order = {}
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        order[int(cls)] = members[seeded_order(len(members), seed, cls)]
    return order


def split_indices(labels, val_fraction=0.15, test_fraction=0.15, seed=0):
    """Split example indices per class into train, validation and test.

    Each class's seeded order (`class_order`) is cut by the fractions
    (rounded; each split gets at least one example of a class that has three or more).

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
    parts = ([], [], [])
    for members in class_order(labels, seed).values():
        n_val = _count(len(members), val_fraction)
        n_test = _count(len(members), test_fraction)
        parts[1].append(members[:n_val])
        parts[2].append(members[n_val:n_val + n_test])
        parts[0].append(members[n_val + n_test:])
    return tuple(_sorted(p) for p in parts)


def _count(n, fraction):
    if fraction == 0:
        return 0
    return max(1, int(round(n * fraction))) if n >= 3 else 0


def _sorted(chunks):
    return np.sort(np.concatenate(chunks)).astype(int) if chunks else np.zeros(0, int)


def split_folder(folder, val_fraction=0.15, test_fraction=0.15, seed=0):
    """Split an `images.ImageFolder` into `(train, val, test)` folders."""
    indices = split_indices(folder.labels, val_fraction, test_fraction, seed)
    return tuple(folder.subset(i) for i in indices)


def labelled_split(labels, fraction=None, seed=0, per_class=None):
    """Draw a stratified labelled subset; the rest is the unlabelled pool.

    Give the budget as labels per class (`per_class`, which means the same at
    any dataset size) or as a share of each class (`fraction`), not both.

    Args:
        labels: int array-like `(n,)`.
        fraction: share of each class to keep labelled, in (0, 1]; every class
            keeps at least one labelled example.
        seed: int; the same seed draws the same labels.
        per_class: labelled examples per class, at least 1 (a class with fewer
            keeps all of its examples labelled).

    Returns:
        `(labelled, unlabelled)`: sorted int index arrays that partition `range(n)`.

    Raises:
        ValueError: neither or both budgets given, `fraction` outside (0, 1], or `per_class` below 1.
    """
    if (fraction is None) == (per_class is None):
        raise ValueError(f"Expected one of fraction or per_class; received fraction={fraction}, per_class={per_class}.")
    if fraction is not None and not 0 < fraction <= 1:
        raise ValueError(f"Expected a labelled fraction in (0, 1]; received {fraction}.")
    if per_class is not None and int(per_class) < 1:
        raise ValueError(f"Expected per_class >= 1; received {per_class}.")
    orders = class_order(labels, seed).values()
    size = (lambda m: int(per_class)) if per_class is not None else (lambda m: max(1, int(round(fraction * len(m)))))
    labelled = _sorted([m[:size(m)] for m in orders])
    return labelled, np.setdiff1d(np.arange(len(np.asarray(labels))), labelled)


def per_class_sample(labels, n, seed=0):
    """Pick `n` indices of every class, at random (a few-shot set, a rehearsal buffer).

    Returns:
        Sorted int array of `n * classes` indices.

    Raises:
        ValueError: a class has fewer than `n` examples.
    """
    chosen = []
    for cls, members in class_order(labels, seed).items():
        if len(members) < n:
            raise ValueError(f"Expected at least {n} examples of class {cls}; received {len(members)}.")
        chosen.append(members[:n])
    return _sorted(chosen)
