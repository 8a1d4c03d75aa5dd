"""Taught in 04_semi_supervised: co-training on cached embeddings, and the lesson's figures.

Self-training and FixMatch-style views, which lesson 04 teaches first, live in
`tl_course.core.self_training` (06_domain_adaptation uses them too); co-training here
builds on them (`select_pseudo_labels`, `log_round`). (Tri-training and the Keras
version of FixMatch's loss are written in the notebook itself.)

Co-training trains a small head per view
(`evaluation.fit_probe`: logistic regression on L2-normalised embeddings) on a few labelled examples
plus pseudo-labels: the heads' own guesses on unlabelled examples. The
backbone stays frozen, so the embeddings are computed once (`embedding_cache.embed`)
and each round costs a few fits of a linear model.

Example:

```python
labelled, unlabelled = sampling.labelled_split(y_train, per_class=5, seed=0)
run = semi_supervised.co_train([xa[labelled], xb[labelled]], y[labelled],
                               [xa[unlabelled], xb[unlabelled]], per_class=10, y_unl=y[unlabelled])
run.score([xa_test, xb_test], y_test), [r.accuracy for r in run.rounds]
```
"""

import dataclasses

import numpy as np

from tl_course.core.evaluation import fit_probe
from tl_course.core.plots import figure
from tl_course.core.self_training import log_round, select_pseudo_labels

__all__ = ["CoTraining", "accuracy_vs_labels", "co_train", "pseudo_label_rounds"]


@dataclasses.dataclass
class CoTraining:
    """Heads that vote: two per co-training (one per view), three per tri-training; `predict_proba` averages them."""

    models: tuple
    rounds: list

    def predict_proba(self, views):
        return np.mean([m.predict_proba(x) for m, x in zip(self.models, views)], axis=0)

    def score(self, views, y):
        return float(np.mean(self.predict_proba(views).argmax(1) == np.asarray(y)))


def co_train(lab_views, y_lab, unl_views, per_class=10, rounds=5, y_unl=None, C=10.0):
    """Co-training on two views: each head pseudo-labels examples for a shared pool.

    Each round, each view's head picks its `per_class` most confident new
    examples per class among those not yet in the pool; picks both heads make
    with different labels are dropped; both heads are refitted on the labelled
    examples plus the pool.

    Args:
        lab_views: `(x_lab_a, x_lab_b)`, the same labelled images in two embeddings.
        y_lab: int `(n_lab,)`.
        unl_views: `(x_unl_a, x_unl_b)`.
        per_class: new examples per class per head per round.
        rounds: rounds.
        y_unl: optional true labels, only to log pool accuracy.
        C: head regularisation.

    Returns:
        `CoTraining`; each `Round` describes the pool after that round.

    Raises:
        ValueError: not exactly two views.
    """
    if len(lab_views) != 2 or len(unl_views) != 2:
        raise ValueError(f"Expected two views, received {len(lab_views)} and {len(unl_views)}.")
    y_lab = np.asarray(y_lab)
    num_classes = int(y_lab.max()) + 1
    n_unl = len(unl_views[0])
    pool = np.full(n_unl, -1)
    log = []

    def fit_both():
        inside = pool >= 0
        return tuple(fit_probe(np.concatenate([xl, xu[inside]]), np.concatenate([y_lab, pool[inside]]), C)
                     for xl, xu in zip(lab_views, unl_views))

    models = fit_both()
    for r in range(1, rounds + 1):
        picks = []
        for model, xu in zip(models, unl_views):
            probs = np.zeros((n_unl, num_classes))
            probs[:, model.classes_] = model.predict_proba(xu)
            probs[pool >= 0] = 0  # only new examples
            mask, pseudo = select_pseudo_labels(probs, 1e-9, per_class)
            picks.append(np.where(mask, pseudo, -1))
        conflict = (picks[0] >= 0) & (picks[1] >= 0) & (picks[0] != picks[1])
        new = np.where(picks[0] >= 0, picks[0], picks[1])
        pool = np.where((pool < 0) & ~conflict, new, pool)
        log.append(log_round(r, pool >= 0, np.maximum(pool, 0), y_unl, num_classes))
        models = fit_both()
    return CoTraining(models, log)


def pseudo_label_rounds(runs):
    """Plot, per round, the pseudo-labels used, their accuracy, and the count of the rarest class.

    Taught in `04_semi_supervised`: the third panel shows a class being crowded out.

    Args:
        runs: `{name: SelfTraining or CoTraining}` (anything whose `.rounds` hold
            `round`, `added`, `accuracy` and `per_class`).
    """
    panels = (("pseudo-labels used", lambda r: r.added), ("pseudo-label accuracy", lambda r: r.accuracy),
              ("pseudo-labels of the rarest class", lambda r: int(np.min(r.per_class))))
    fig = figure(figsize=(13, 3.6))
    for i, (title, value) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for name, run in runs.items():
            ax.plot([r.round for r in run.rounds], [value(r) for r in run.rounds], "o-", label=name)
            ax.set_xticks([r.round for r in run.rounds])
        ax.set_xlabel("round")
        ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def accuracy_vs_labels(budgets, curves):
    """Plot test accuracy against labels per class: mean line and ±1 std band per method.

    Taught in `04_semi_supervised`.

    Args:
        budgets: labelled examples per class, the x axis (positive ints).
        curves: `{name: float (draws, len(budgets))}` accuracies.

    Returns:
        The matplotlib figure.
    """
    fig = figure(figsize=(5.5, 3.8))
    ax = fig.add_subplot(1, 1, 1)
    for name, acc in curves.items():
        acc = np.asarray(acc)
        mean, std = acc.mean(0), acc.std(0)
        ax.plot(budgets, mean, "o-", label=name)
        ax.fill_between(budgets, mean - std, mean + std, alpha=0.2)
    ax.set_xscale("log")
    ax.set_xticks(budgets, [str(b) for b in budgets])
    ax.minorticks_off()
    ax.set_xlabel("labelled examples per class")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
