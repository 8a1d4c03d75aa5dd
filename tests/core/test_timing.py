"""core.timing: the fastest run of each call, taken in turns."""

import time

import keras
import numpy as np
import pytest

from tl_course.core import timing


def test_fastest_in_turns_takes_turns_and_keeps_each_minimum():
    order, delays = [], {"a": iter([0.03, 0.0, 0.03]), "b": iter([0.0, 0.02, 0.02])}

    def call(name):
        order.append(name)
        time.sleep(next(delays[name]))

    best = timing.fastest_in_turns([lambda: call("a"), lambda: call("b")], repeats=3)
    assert order == ["a", "b"] * 3
    assert best[0] < 0.015 and best[1] < 0.015  # each call's fastest round, not its mean
    assert best[0] >= 0 and best[1] >= 0


def test_fastest_in_turns_refuses_no_round():
    with pytest.raises(ValueError, match="Expected repeats >= 1; received 0"):
        timing.fastest_in_turns([lambda: None], repeats=0)


def test_time_predict_returns_the_fastest_run():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    seconds = timing.time_predict(model, np.zeros((8, 4), "float32"), batch_size=4, repeats=2)
    assert 0 < seconds < 5
    with pytest.raises(ValueError, match="repeats >= 1"):
        timing.time_predict(model, np.zeros((8, 4), "float32"), repeats=0)


def test_compare_predict_times_ranks_a_bigger_model_slower():
    small = keras.Sequential([keras.Input((64,)), keras.layers.Dense(2)])
    big = keras.Sequential([keras.Input((64,))] + [keras.layers.Dense(2048) for _ in range(6)])
    x = np.zeros((512, 64), "float32")
    small_s, big_s = timing.compare_predict_times([small, big], x, batch_size=256, repeats=3)
    assert 0 < small_s < big_s


def test_compare_train_step_times_trains_each_model_on_its_targets():
    small = keras.Sequential([keras.Input((64,)), keras.layers.Dense(1)])
    big = keras.Sequential([keras.Input((64,))] + [keras.layers.Dense(2048) for _ in range(4)] + [keras.layers.Dense(1)])
    for model in (small, big):
        model.compile(optimizer="sgd", loss="mse")
    x = np.ones((256, 64), "float32")
    before = small.get_weights()[0].copy()
    small_s, big_s = timing.compare_train_step_times([small, big], x, [np.ones(256), np.zeros(256)], repeats=3)
    assert 0 < small_s < big_s
    assert not np.allclose(small.get_weights()[0], before)  # it really trained
    with pytest.raises(ValueError, match="one target per model"):
        timing.compare_train_step_times([small, big], x, [np.ones(256)])
