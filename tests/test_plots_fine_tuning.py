"""Learning curves of progressive unfreezing (lesson 02): one line per phase, one legend entry per kind."""

from tl_course import plots, training


def test_learning_curves_mark_each_stage_once_in_the_legend():
    history, starts = training.join_histories({"loss": [3, 2]}, {"loss": [1.5]}, {"loss": [1, 0.9]})
    fig = plots.learning_curves(history, fine_tune_at=starts, metrics=("loss",))
    ax = fig.axes[0]
    assert [line.get_xdata()[0] for line in ax.lines[1:]] == [2.5, 3.5]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loss", "fine-tuning starts", "next stage"]
