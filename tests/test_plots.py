"""Figures: they draw what they are given."""

import numpy as np

from tl_course import plots


def test_confusion_matrix_counts():
    m = plots.confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    fig = plots.confusion_matrix_figure([0, 1], [1, 1], ["a", "b"])
    assert [t.get_text() for t in fig.axes[0].texts] == ["0", "1", "0", "1"]


def test_pca_finds_the_main_direction():
    rng = np.random.default_rng(0)
    x = np.outer(rng.normal(size=200), [3, 4, 0]) + rng.normal(scale=0.01, size=(200, 3))
    p = plots.pca_2d(x)
    assert p.shape == (200, 2) and np.var(p[:, 0]) > 100 * np.var(p[:, 1])


def test_learning_curves_mark_fine_tuning():
    fig = plots.learning_curves({"loss": [3, 2, 1], "val_loss": [3, 2.5, 2], "accuracy": [0.1, 0.5, 0.7]}, fine_tune_at=2)
    loss_ax = fig.axes[0]
    assert len(loss_ax.lines) == 3 and loss_ax.lines[-1].get_xdata()[0] == 2.5


def test_sample_grid_and_projection():
    imgs = np.full((3, 8, 8, 3), 128.0)
    fig = plots.sample_grid(imgs, [0, 1, 0], ["a", "b"], predictions=[0, 0, 0], ncols=2)
    colors = [ax.title.get_color() for ax in fig.axes]
    assert colors == ["green", "red", "green"]
    fig = plots.embedding_projection(np.random.default_rng(0).normal(size=(10, 5)), [0] * 5 + [1] * 5, ["a", "b"])
    assert len(fig.axes[0].collections) == 2
