"""compare_curves, taught in 01_feature_extraction."""

import numpy as np
import pytest

from tl_course import plots


def test_compare_curves_draws_one_line_per_run():
    fig = plots.compare_curves({"a": {"val_accuracy": [0.1, 0.5]}, "b": {"val_accuracy": [0.2, 0.3, 0.9]}})
    lines = fig.axes[0].lines
    assert [line.get_label() for line in lines] == ["a", "b"]
    assert np.array_equal(lines[1].get_xdata(), [1, 2, 3]) and np.array_equal(lines[1].get_ydata(), [0.2, 0.3, 0.9])
    assert fig.axes[0].get_title() == "val_accuracy"


def test_compare_curves_names_the_run_without_the_metric():
    with pytest.raises(ValueError, match="run 'b'"):
        plots.compare_curves({"a": {"loss": [1]}, "b": {"accuracy": [1]}}, metric="loss")
