"""Figures the lessons show: sample grids, learning curves, confusion matrices, projections.

Every function returns a matplotlib `Figure` and changes no global style.
"""

import numpy as np

__all__ = [
    "confusion_matrix",
    "confusion_matrix_figure",
    "embedding_projection",
    "learning_curves",
    "pca_2d",
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
        fine_tune_at: epoch indices where a new phase starts.
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
        for epoch in fine_tune_at:
            ax.axvline(epoch + 0.5, color="gray", linestyle=":", label="fine-tuning starts")
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
