"""Taught in 04_semi_supervised: self-training and FixMatch-style views on cached embeddings; used again in 06_domain_adaptation (self-training on an unlabelled target domain).

Every method here trains a small head
(`evaluation.fit_probe`: logistic regression on L2-normalised embeddings) on a few labelled examples
plus pseudo-labels: the head's own guesses on unlabelled examples. The
backbone stays frozen, so the embeddings are computed once (`embedding_cache.embed`,
`embedding_cache.embed_augmented`) and each method costs a few fits of a linear model.

Example:

```python
labelled, unlabelled = sampling.labelled_split(y_train, per_class=5, seed=0)
run = self_training.self_train(x[labelled], y[labelled], x[unlabelled], threshold=0.5,
                               per_class=10, y_unl=y[unlabelled])
run.model.score(x_test, y_test), [r.accuracy for r in run.rounds]
```
"""

import dataclasses

import numpy as np

from tl_course.core.evaluation import fit_probe

__all__ = ["Round", "SelfTraining", "fixmatch", "log_round", "select_pseudo_labels", "self_train"]


def select_pseudo_labels(probs, threshold=0.0, per_class=None):
    """Choose which unlabelled examples get a pseudo-label.

    Args:
        probs: `float (n, classes)` predicted probabilities.
        threshold: keep examples whose top probability is at least this.
        per_class: if set, keep at most this many per predicted class, the
            most confident first (class-balanced selection).

    Returns:
        `(mask, pseudo_labels)`: bool `(n,)` and int `(n,)` (the argmax, for every example).
    """
    probs = np.asarray(probs)
    pseudo, confidence = probs.argmax(1), probs.max(1)
    mask = confidence >= threshold
    if per_class is not None:
        balanced = np.zeros_like(mask)
        for cls in range(probs.shape[1]):
            members = np.flatnonzero(mask & (pseudo == cls))
            balanced[members[np.argsort(-confidence[members], kind="stable")][:per_class]] = True
        mask = balanced
    return mask, pseudo


@dataclasses.dataclass
class Round:
    """What one round of pseudo-labelling added.

    Attributes:
        round: 1-based round number.
        added: pseudo-labelled examples used to train this round's model.
        accuracy: their share of correct pseudo-labels (NaN without true labels or when none).
        per_class: int `(classes,)` pseudo-labels per class.
    """

    round: int
    added: int
    accuracy: float
    per_class: np.ndarray


@dataclasses.dataclass
class SelfTraining:
    """The final head and the log of its rounds."""

    model: object
    rounds: list


def log_round(r, mask, pseudo, y_unl, num_classes):
    """Summarise round `r` as a `Round`: the pseudo-labels `mask` keeps, their accuracy against `y_unl`, per class."""
    correct = pseudo[mask] == y_unl[mask] if y_unl is not None else np.array([])
    return Round(r, int(mask.sum()), float(correct.mean()) if correct.size else float("nan"),
                 np.bincount(pseudo[mask], minlength=num_classes))


def fixmatch(lab_views, y_lab, weak_views, strong_views, threshold=0.0, per_class=None, rounds=5, y_unl=None, C=10.0):
    """Pseudo-label on weakly augmented views, train on strongly augmented ones.

    FixMatch's idea, on frozen embeddings and in rounds: each round the current
    head labels one weak view of every unlabelled image; the confident ones
    (see `select_pseudo_labels`; `per_class` grows by itself each round) join
    the labelled views, as their strong views, and a new head is fitted.
    `self_train` is the special case where both views are the clean embeddings.

    Args:
        lab_views: `(v, n_lab, dim)` views of the labelled images (clean first).
        y_lab: int `(n_lab,)`.
        weak_views: `(w, n_unl, dim)`; round r (from 1) uses view `(r - 1) % w`.
        strong_views: `(s, n_unl, dim)`; all are trained on.
        threshold, per_class: selection rule.
        rounds: number of pseudo-labelling rounds.
        y_unl: optional true labels of the unlabelled pool, only to log accuracy.
        C: head regularisation.

    Returns:
        `SelfTraining`.

    Raises:
        ValueError: a views array is not 3-D `(copies, n, dim)`.
    """
    lab_views, weak_views, strong_views = (np.asarray(v) for v in (lab_views, weak_views, strong_views))
    if lab_views.ndim != 3 or weak_views.ndim != 3 or strong_views.ndim != 3:
        raise ValueError(f"Expected views shaped (copies, n, dim), received {lab_views.shape}, "
                         f"{weak_views.shape} and {strong_views.shape}.")
    y_lab = np.asarray(y_lab)
    y_unl = None if y_unl is None else np.asarray(y_unl)
    num_classes = int(y_lab.max()) + 1
    x_lab = lab_views.reshape(-1, lab_views.shape[-1])
    y_lab_all = np.tile(y_lab, len(lab_views))
    model, log = fit_probe(x_lab, y_lab_all, C), []
    for r in range(1, rounds + 1):
        probs = np.zeros((weak_views.shape[1], num_classes))
        probs[:, model.classes_] = model.predict_proba(weak_views[(r - 1) % len(weak_views)])
        mask, pseudo = select_pseudo_labels(probs, threshold, None if per_class is None else per_class * r)
        log.append(log_round(r, mask, pseudo, y_unl, num_classes))
        x = np.concatenate([x_lab, strong_views[:, mask].reshape(-1, x_lab.shape[1])])
        model = fit_probe(x, np.concatenate([y_lab_all, np.tile(pseudo[mask], len(strong_views))]), C)
    return SelfTraining(model, log)


def self_train(x_lab, y_lab, x_unl, threshold=0.0, per_class=None, rounds=5, y_unl=None, C=10.0):
    """Iterated self-training: fit, pseudo-label the confident unlabelled examples, refit.

    Each round relabels the whole unlabelled pool with the current head, so an
    early mistake can be undone (or confirmed). With `per_class=k`, round r
    keeps at most `k * r` examples per predicted class.

    Args:
        x_lab: `(n_lab, dim)`; y_lab: int `(n_lab,)`; x_unl: `(n_unl, dim)`.
        threshold, per_class: see `select_pseudo_labels`.
        rounds: pseudo-labelling rounds.
        y_unl: optional true labels of `x_unl`, only to log pseudo-label accuracy.
        C: head regularisation.

    Returns:
        `SelfTraining`: the last head, and one `Round` per round.
    """
    return fixmatch(np.asarray(x_lab)[None], y_lab, np.asarray(x_unl)[None], np.asarray(x_unl)[None],
                    threshold, per_class, rounds, y_unl, C)
