"""Figures the lessons show: sample grids, learning curves, confusion matrices, runs side by side, method bars, embedding projections.

Every function returns a matplotlib `Figure` and changes no global style.
"""

import numpy as np

__all__ = [
    "bounded_bars",
    "confusion_matrix",
    "confusion_matrix_figure",
    "embedding_pca",
    "figure",
    "learning_curves",
    "runs_figure",
    "sample_grid",
]


def figure(**kwargs):
    """Return a new matplotlib `Figure` (not registered with pyplot, so no global state)."""
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
    fig = figure(figsize=(2.2 * ncols, 2.4 * nrows))
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
    fig = figure(figsize=(5 * len(metrics), 3.5))
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


def confusion_matrix(y_true, y_pred, num_classes):
    """Return the `(num_classes, num_classes)` count matrix, rows = true class."""
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def confusion_matrix_figure(y_true, y_pred, class_names):
    """Plot the confusion matrix with counts in each cell."""
    matrix = confusion_matrix(y_true, y_pred, len(class_names))
    fig = figure(figsize=(1 + 0.9 * len(class_names), 0.8 + 0.8 * len(class_names)))
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


def runs_figure(panels, title=None):
    """Plot per-run scores of several methods, one panel per metric.

    Each run is a grey line through its methods (the pairing); each method
    gets its mean and a +-1 standard deviation bar.

    Args:
        panels: `{y_label: {method: [score per run]}}`; every method list of a
            panel has the same runs, in the same order.
        title: optional figure title.

    Returns:
        matplotlib `Figure`.
    """
    fig = figure(figsize=(4.2 * len(panels), 3.6))
    for i, (ylabel, scores) in enumerate(panels.items()):
        ax = fig.add_subplot(1, len(panels), i + 1)
        names = list(scores)
        values = np.array([np.asarray(scores[name], float) for name in names])
        positions = np.arange(len(names))
        ax.plot(positions, values, color="0.75", linewidth=0.8, zorder=1)
        ax.scatter(np.repeat(positions, values.shape[1]), values.ravel(), s=12, color="0.4", zorder=2)
        ax.errorbar(positions + 0.12, values.mean(axis=1), yerr=values.std(axis=1, ddof=1) if values.shape[1] > 1 else None,
                    fmt="o", color="C3", capsize=4, zorder=3, label="mean ± std")
        ax.set_xticks(positions, names, rotation=20, ha="right")
        ax.set_ylabel(ylabel)
        ax.legend(loc="best", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def embedding_pca(panels):
    """Plot two sets of embeddings on their first two principal components, one panel per stage.

    Taught in `06_domain_adaptation` (source and target, before and after alignment).

    Args:
        panels: `{title: (x_source, x_target)}`; rows are L2-normalised (an all-zero row stays 0), then each
            panel fits its own PCA on both sets together.
    """
    fig = figure(figsize=(4.2 * len(panels), 3.8))
    for i, (title, (xs, xt)) in enumerate(panels.items()):
        both = np.concatenate([xs, xt]).astype(float)
        both /= np.maximum(np.linalg.norm(both, axis=1, keepdims=True), 1e-12)  # an all-zero row (collapsed features) stays 0
        both -= both.mean(0)
        points = both @ np.linalg.svd(both, full_matrices=False)[2][:2].T
        ax = fig.add_subplot(1, len(panels), i + 1)
        ax.scatter(*points[: len(xs)].T, s=6, alpha=0.5, label="source")
        ax.scatter(*points[len(xs):].T, s=6, alpha=0.5, label="target")
        ax.set_title(title, fontsize=10)
        ax.set_xticks([]), ax.set_yticks([])
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def bounded_bars(results, lower="source only", upper="upper reference"):
    """Bar chart of accuracy per method: mean over draws, ±1 std, with a lower and an upper bound as lines.

    Taught in `06_domain_adaptation` (source only and target labels as the bounds).

    Args:
        results: `{method: float (draws,)}`, including `lower` and `upper`.
    """
    names = [name for name in results if name not in (lower, upper)]
    fig = figure(figsize=(7, 3.8))
    ax = fig.add_subplot(1, 1, 1)
    ax.bar(range(len(names)), [np.mean(results[n]) for n in names], yerr=[np.std(results[n]) for n in names], capsize=4)
    for name, style in ((lower, ":"), (upper, "--")):
        ax.axhline(np.mean(results[name]), color="gray", linestyle=style, label=name)
    ax.set_xticks(range(len(names)), names, rotation=20, ha="right")
    ax.set_ylabel("accuracy on the target test photos")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
