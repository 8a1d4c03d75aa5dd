"""Figures shared by lessons."""


import numpy as np

from tl_course.core import plots
from tl_course.lessons import fine_tuning


def test_confusion_matrix_counts():
    m = plots.confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    fig = plots.confusion_matrix_figure([0, 1], [1, 1], ["a", "b"])
    assert [t.get_text() for t in fig.axes[0].texts] == ["0", "1", "0", "1"]


def test_learning_curves_mark_fine_tuning():
    fig = plots.learning_curves({"loss": [3, 2, 1], "val_loss": [3, 2.5, 2], "accuracy": [0.1, 0.5, 0.7]}, fine_tune_at=2)
    loss_ax = fig.axes[0]
    assert len(loss_ax.lines) == 3 and loss_ax.lines[-1].get_xdata()[0] == 2.5


def test_learning_curves_mark_each_stage_once_in_the_legend():
    history, starts = fine_tuning.join_histories({"loss": [3, 2]}, {"loss": [1.5]}, {"loss": [1, 0.9]})
    fig = plots.learning_curves(history, fine_tune_at=starts, metrics=("loss",))
    ax = fig.axes[0]
    assert [line.get_xdata()[0] for line in ax.lines[1:]] == [2.5, 3.5]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loss", "fine-tuning starts", "next stage"]


def test_runs_figure():
    fig = plots.runs_figure({"accuracy": {"x": [0.5, 0.6], "y": [0.7, 0.8]}, "forgetting": {"x": [0, 0.1], "y": [0.2, 0.3]}})
    assert len(fig.axes) == 2 and [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["x", "y"]


def test_bounded_bars_draws_a_bar_per_method_and_the_bounds_as_lines():
    results = {"source only": [0.5, 0.6], "mmd": [0.7, 0.8, 0.9], "dann": [0.6, 0.6], "adabn": [0.65, 0.75],
               "upper reference": [0.95, 0.97]}
    fig = plots.bounded_bars(results)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["mmd", "dann", "adabn"]  # the bounds are not bars
    assert np.allclose([bar.get_height() for bar in ax.patches], [0.8, 0.6, 0.7])
    bounds = {line.get_label(): line.get_ydata()[0] for line in ax.lines if not line.get_label().startswith("_")}
    assert bounds.keys() == {"source only", "upper reference"} and np.allclose(list(bounds.values()), [0.55, 0.96])
    caps = sorted(y for line in ax.lines if line.get_label().startswith("_") for y in line.get_ydata())
    assert np.allclose(caps, sorted([0.8 - np.std([0.7, 0.8, 0.9]), 0.8 + np.std([0.7, 0.8, 0.9]), 0.6, 0.6, 0.65, 0.75]))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["source only", "upper reference"]
    other = plots.bounded_bars({"no adaptation": [0.4], "a": [0.5], "labels": [0.9]}, lower="no adaptation", upper="labels")
    assert len(other.axes[0].patches) == 1 and [t.get_text() for t in other.axes[0].get_legend().get_texts()] == [
        "no adaptation", "labels"]


def test_embedding_pca_projects_each_panel_on_its_own_components():
    rng = np.random.default_rng(0)
    source = rng.normal(0, 1, (20, 5)) + [4, 0, 0, 0, 0]
    target = rng.normal(0, 1, (12, 5)) + [0, 4, 0, 0, 0]
    fig = plots.embedding_pca({"before": (source, target), "after": (source, source[:12])})
    assert len(fig.axes) == 2 and [ax.get_title() for ax in fig.axes] == ["before", "after"]
    for ax in fig.axes:
        assert [c.get_offsets().shape for c in ax.collections] == [(20, 2), (12, 2)]
    src, tgt = (c.get_offsets()[:, 0] for c in fig.axes[0].collections)
    assert src.max() < tgt.min() or tgt.max() < src.min()  # the first component is the domain shift
    src, tgt = (c.get_offsets() for c in fig.axes[1].collections)
    assert np.allclose(tgt, src[:12])  # the same embeddings land on the same points
    assert [t.get_text() for t in fig.axes[-1].get_legend().get_texts()] == ["source", "target"]


def test_embedding_pca_keeps_collapsed_features_finite():
    source = np.zeros((10, 4))  # an adapter whose ReLU features all died, as too large an MMD weight makes them
    target = np.r_[np.zeros((5, 4)), np.eye(4)[:3]]
    fig = plots.embedding_pca({"collapsed": (source, target)})
    points = np.concatenate([c.get_offsets() for c in fig.axes[0].collections])
    assert np.isfinite(points).all() and np.allclose(points[:10], points[0])
