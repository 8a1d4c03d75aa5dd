"""EpochTimer, taught in 01_feature_extraction."""

import time

import keras
import numpy as np

from tl_course import models, training


class _Sleep(keras.callbacks.Callback):
    """Make epoch 1 (the second) visibly slower than the others."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            time.sleep(0.3)


def test_epoch_timer_records_each_epoch_in_order():
    model = models.build_head(3, 2)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    timer = training.EpochTimer()
    # _Sleep's on_epoch_begin runs after the timer's, so its sleep counts in epoch 1.
    history, seconds = training.timed_fit(model, x, y, epochs=4, callbacks=[timer, _Sleep()])
    assert len(timer.seconds) == 4 == len(history["loss"])
    assert all(s > 0 for s in timer.seconds) and sum(timer.seconds) <= seconds
    assert timer.seconds[1] >= 0.3 and timer.seconds[2] < 0.3
    training.timed_fit(model, x, y, epochs=2, callbacks=[timer])
    assert len(timer.seconds) == 2, "a new fit starts a new record"
