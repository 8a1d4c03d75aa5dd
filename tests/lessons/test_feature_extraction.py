"""Lesson 01's figures."""

import numpy as np
import pytest

from tl_course.core import plots
from tl_course.lessons import feature_extraction


def test_compare_curves_draws_one_line_per_run():
    fig = feature_extraction.compare_curves({"a": {"val_accuracy": [0.1, 0.5]}, "b": {"val_accuracy": [0.2, 0.3, 0.9]}})
    lines = fig.axes[0].lines
    assert [line.get_label() for line in lines] == ["a", "b"]
    assert np.array_equal(lines[1].get_xdata(), [1, 2, 3]) and np.array_equal(lines[1].get_ydata(), [0.2, 0.3, 0.9])
    assert fig.axes[0].get_title() == "val_accuracy"


def test_compare_curves_names_the_run_without_the_metric():
    with pytest.raises(ValueError, match="run 'b'"):
        feature_extraction.compare_curves({"a": {"loss": [1]}, "b": {"accuracy": [1]}}, metric="loss")


def test_pca_finds_the_main_direction():
    rng = np.random.default_rng(0)
    x = np.outer(rng.normal(size=200), [3, 4, 0]) + rng.normal(scale=0.01, size=(200, 3))
    p = feature_extraction.pca_2d(x)
    assert p.shape == (200, 2) and np.var(p[:, 0]) > 100 * np.var(p[:, 1])


def test_sample_grid_and_projection():
    imgs = np.full((3, 8, 8, 3), 128.0)
    fig = plots.sample_grid(imgs, [0, 1, 0], ["a", "b"], predictions=[0, 0, 0], ncols=2)
    colors = [ax.title.get_color() for ax in fig.axes]
    assert colors == ["green", "red", "green"]
    fig = feature_extraction.embedding_projection(np.random.default_rng(0).normal(size=(10, 5)), [0] * 5 + [1] * 5, ["a", "b"])
    assert len(fig.axes[0].collections) == 2
