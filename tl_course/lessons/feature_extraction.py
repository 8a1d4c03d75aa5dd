"""Taught in 01_feature_extraction: figures that compare ways to train and show what embeddings separate.

The frozen backbone, the heads and the embedding cache the lesson builds on
are in `core` (`backbones`, `model_builders`, `freezing`, `embedding_cache`),
since every later lesson uses them.
"""

import numpy as np

from tl_course.core.plots import figure

__all__ = ["compare_curves", "embedding_projection", "pca_2d"]


def compare_curves(histories, metric="val_accuracy", title=None):
    """Plot one metric of several runs on one axis, one line per run.

    Taught in `01_feature_extraction` (three ways to train, side by side).

    Args:
        histories: `{run name: history dict}`, each a dict of per-epoch lists.
        metric: the key to draw from each history, e.g. `"val_accuracy"`.
        title: axis title; defaults to `metric`.

    Raises:
        ValueError: a history has no `metric`; the message names the run.
    """
    fig = figure(figsize=(6, 3.8))
    ax = fig.add_subplot(1, 1, 1)
    for name, history in histories.items():
        if metric not in history:
            raise ValueError(
                f"Expected every history to hold {metric!r}; received run {name!r} with keys {sorted(history)}."
            )
        ax.plot(np.arange(1, len(history[metric]) + 1), history[metric], label=name)
    ax.set_xlabel("epoch")
    ax.set_title(title or metric)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def pca_2d(features):
    """Project `(n, d)` features onto their first two principal components."""
    centered = np.asarray(features, dtype=np.float64) - np.mean(features, axis=0)
    _, _, vt = np.linalg.svd(centered, full_matrices=False)
    return centered @ vt[:2].T


def embedding_projection(features, labels, class_names, title="embeddings (PCA)"):
    """Scatter a 2-D PCA projection of embeddings, one colour per class."""
    points = pca_2d(features)
    fig = figure(figsize=(5.5, 4.5))
    ax = fig.add_subplot(1, 1, 1)
    for i, name in enumerate(class_names):
        mask = np.asarray(labels) == i
        ax.scatter(points[mask, 0], points[mask, 1], s=12, label=name, alpha=0.8)
    ax.set_title(title)
    ax.legend(fontsize=8, markerscale=1.5)
    fig.tight_layout()
    return fig
