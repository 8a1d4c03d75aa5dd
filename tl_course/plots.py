"""Figures the lessons show: sample grids, learning curves, confusion matrices, projections.

Every function returns a matplotlib `Figure` and changes no global style.
"""

import numpy as np

__all__ = [
    "accuracy_vs_fraction",
    "compare_curves",
    "confusion_matrix",
    "confusion_matrix_figure",
    "embedding_projection",
    "learning_curves",
    "pca_2d",
    "pseudo_label_rounds",
    "sample_grid",
]


def _figure(**kwargs):
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def sample_grid(images, labels, class_names, predictions=None, ncols=5):
    """Show images with their labels; with predictions, wrong ones in red.

    Args:
        images: `(n, h, w, 3)` pixels in [0, 255].
        labels: int `(n,)`.
        class_names: list of names.
        predictions: optional int `(n,)`.
        ncols: images per row.
    """
    n = len(images)
    nrows = max(1, int(np.ceil(n / ncols)))
    fig = _figure(figsize=(2.2 * ncols, 2.4 * nrows))
    for i in range(n):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.imshow(np.clip(np.asarray(images[i]) / 255.0, 0, 1))
        title = class_names[labels[i]]
        color = "black"
        if predictions is not None:
            title = f"{class_names[predictions[i]]}\n(true: {class_names[labels[i]]})"
            color = "green" if predictions[i] == labels[i] else "red"
        ax.set_title(title, fontsize=9, color=color)
        ax.axis("off")
    fig.tight_layout()
    return fig


def learning_curves(history, fine_tune_at=(), metrics=("loss", "accuracy")):
    """Plot training and validation curves, with a line where fine-tuning starts.

    Args:
        history: dict of per-epoch lists (`keras.callbacks.History.history`, or
            `training.join_histories(...)[0]`).
        fine_tune_at: epoch indices where a new phase starts; the first is
            marked "fine-tuning starts", later ones (progressive unfreezing)
            "next stage".
        metrics: base metric names; `val_<name>` is drawn beside each.
    """
    if isinstance(fine_tune_at, int):
        fine_tune_at = (fine_tune_at,)
    fig = _figure(figsize=(5 * len(metrics), 3.5))
    for i, name in enumerate(metrics):
        ax = fig.add_subplot(1, len(metrics), i + 1)
        for key, style in ((name, "-"), (f"val_{name}", "--")):
            if key in history:
                ax.plot(np.arange(1, len(history[key]) + 1), history[key], style, label=key)
        for j, epoch in enumerate(fine_tune_at):  # one legend entry per kind of line
            ax.axvline(epoch + 0.5, color="gray", linestyle=":" if j == 0 else "-.",
                       label="fine-tuning starts" if j == 0 else ("next stage" if j == 1 else None))
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


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
    fig = _figure(figsize=(6, 3.8))
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


def confusion_matrix(y_true, y_pred, num_classes):
    """Return the `(num_classes, num_classes)` count matrix, rows = true class."""
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def confusion_matrix_figure(y_true, y_pred, class_names):
    """Plot the confusion matrix with counts in each cell."""
    matrix = confusion_matrix(y_true, y_pred, len(class_names))
    fig = _figure(figsize=(1 + 0.9 * len(class_names), 0.8 + 0.8 * len(class_names)))
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(matrix, cmap="Blues")
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=45, ha="right")
    ax.set_yticks(ticks, class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for (r, c), count in np.ndenumerate(matrix):
        ax.text(c, r, str(count), ha="center", va="center", color="white" if count > matrix.max() / 2 else "black")
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
    fig = _figure(figsize=(5.5, 4.5))
    ax = fig.add_subplot(1, 1, 1)
    for i, name in enumerate(class_names):
        mask = np.asarray(labels) == i
        ax.scatter(points[mask, 0], points[mask, 1], s=12, label=name, alpha=0.8)
    ax.set_title(title)
    ax.legend(fontsize=8, markerscale=1.5)
    fig.tight_layout()
    return fig


def pseudo_label_rounds(runs):
    """Plot, per round, the pseudo-labels used, their accuracy, and the count of the rarest class.

    Taught in `04_semi_supervised`: the third panel shows a class being crowded out.

    Args:
        runs: `{name: SelfTraining or CoTraining}` (anything whose `.rounds` hold
            `round`, `added`, `accuracy` and `per_class`).
    """
    panels = (("pseudo-labels used", lambda r: r.added), ("pseudo-label accuracy", lambda r: r.accuracy),
              ("pseudo-labels of the rarest class", lambda r: int(np.min(r.per_class))))
    fig = _figure(figsize=(13, 3.6))
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


def accuracy_vs_fraction(fractions, curves):
    """Plot test accuracy against labelled fraction: mean line and ±1 std band per method.

    Taught in `04_semi_supervised`.

    Args:
        fractions: labelled fractions, the x axis.
        curves: `{name: float (draws, len(fractions))}` accuracies.
    """
    fig = _figure(figsize=(5.5, 3.8))
    ax = fig.add_subplot(1, 1, 1)
    for name, acc in curves.items():
        acc = np.asarray(acc)
        mean, std = acc.mean(0), acc.std(0)
        ax.plot(fractions, mean, "o-", label=name)
        ax.fill_between(fractions, mean - std, mean + std, alpha=0.2)
    ax.set_xscale("log")
    ax.set_xticks(fractions, [f"{f:.0%}" for f in fractions])
    ax.minorticks_off()
    ax.set_xlabel("labelled fraction of the training split")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
