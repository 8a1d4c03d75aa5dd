"""Figures shared by lessons."""


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
