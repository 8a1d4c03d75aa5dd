"""Lesson 02's callbacks and joined histories, and its schedule, now in core."""

import keras
import numpy as np
import pytest

from tl_course.core import model_builders, training
from tl_course.lessons import fine_tuning


def test_warmup_cosine_is_still_importable_from_lesson_02():
    """Lesson 02's notebook uses `fine_tuning.WarmupCosine`; the schedule itself lives in core (lesson 08 uses it too)."""
    assert fine_tuning.WarmupCosine is training.WarmupCosine
    assert "WarmupCosine" in fine_tuning.__all__


def test_standard_callbacks_stop_early_restore_and_log(tmp_path):
    model = model_builders.build_head(3, 2, dropout=0.0)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    noise = np.random.default_rng(1).integers(0, 2, 32)  # validation labels unrelated to x: no progress
    history, seconds = training.timed_fit(model, x, y, validation_data=(x, noise), epochs=50,
                                          callbacks=fine_tuning.standard_callbacks(tmp_path / "run", patience=2))
    assert len(history["loss"]) < 50 and seconds > 0
    best = int(np.argmin(history["val_loss"]))
    assert np.isclose(model.evaluate(x, noise, verbose=0), history["val_loss"][best], rtol=1e-4)
    assert (tmp_path / "run" / "best.keras").exists()
    assert len((tmp_path / "run" / "log.csv").read_text().strip().splitlines()) == len(history["loss"]) + 1


def test_join_histories():
    joined, boundaries = fine_tuning.join_histories({"loss": [3, 2]}, {"loss": [1], "lr": [0.1]})
    assert joined["loss"] == [3, 2, 1] and boundaries == [2]
    assert np.isnan(joined["lr"][0]) and joined["lr"][2] == 0.1


def test_smooth_losses_is_a_bias_corrected_moving_average():
    assert np.allclose(fine_tuning.smooth_losses([2.0, 2.0, 2.0], beta=0.9), 2.0), "a constant stays constant"
    s = fine_tuning.smooth_losses([1.0, 3.0], beta=0.5)
    assert np.isclose(s[0], 1.0) and np.isclose(s[1], (0.25 * 1 + 0.5 * 3) / 0.75)
    assert np.array_equal(fine_tuning.smooth_losses([5.0, 1.0], beta=0.0), [5.0, 1.0])
    with pytest.raises(ValueError, match="beta"):
        fine_tuning.smooth_losses([1.0], beta=1.0)


def test_read_range_test_finds_the_descent_the_bottom_and_the_divergence():
    rates = np.geomspace(1e-5, 1.0, 51)
    x = np.log10(rates)
    losses = 2.0 - 1.5 / (1 + np.exp(-4 * (x + 3)))  # falls fastest at 1e-3, flat around 1e-2
    losses = np.where(x > -1.5, 0.5 + 30 * (x + 1.5) ** 2, losses)  # blows up past 10**-1.5
    test = fine_tuning.read_range_test(rates, losses, beta=0.0)
    assert np.isclose(np.log10(test.steepest), -3, atol=0.11)
    assert -2.2 < np.log10(test.lowest) <= -1.5
    assert test.diverged is not None and test.lowest < test.diverged and losses[list(rates).index(test.diverged)] > 4 * losses.min() - 1e-9
    stopped = fine_tuning.read_range_test(rates, losses[:30], beta=0.0)  # stopped early: fewer losses than rates
    assert len(stopped.rates) == 30 and stopped.diverged is None


def test_read_range_test_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 3 losses"):
        fine_tuning.read_range_test([1e-3, 1e-2], [1.0, 2.0])
    with pytest.raises(ValueError, match="increasing"):
        fine_tuning.read_range_test([1e-3, 1e-3, 1e-2], [1.0, 2.0, 3.0])
