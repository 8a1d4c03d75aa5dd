"""Training that several lessons share: a timed `fit`, per-epoch times, discriminative learning rates, warmup then cosine.

`timed_fit` and `EpochTimer` are taught in `01_feature_extraction` and used in
01-03; `DiscriminativeAdam` (a smaller learning rate for the pretrained
backbone than for the new head) is taught in `02_fine_tuning` and used in
`03_multi_task`. `WarmupCosine` (linear warmup, then cosine decay) is taught in
`02_fine_tuning` and used again in `08_text_transfer`. The callbacks of a long
run are in `lessons/fine_tuning.py`.
"""

import math
import time

import keras

__all__ = ["DiscriminativeAdam", "EpochTimer", "WarmupCosine", "timed_fit"]


@keras.saving.register_keras_serializable(package="tl_course")
class DiscriminativeAdam(keras.optimizers.Adam):
    """Adam with a learning-rate factor per group of layers.

    The usual use: factor 0.1 for the pretrained backbone, 1.0 (the default)
    for everything else, so fine-tuning nudges the backbone while the new
    head learns at full speed. Works on every Keras backend but PyTorch's
    fused path; reloading a saved model restores plain factors of 1.0, so
    compile again before fine-tuning a reloaded model.

    Args:
        learning_rate: the head's learning rate (a float or a schedule).
        factors: list of `(layer_or_model, factor)`; each weight of the layer
            that gets trained uses `learning_rate * factor` (the layer may
            still be frozen when the optimizer is made).
        **kwargs: passed to `keras.optimizers.Adam`.
    """

    def __init__(self, learning_rate=1e-3, factors=(), **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._factor_by_id = {}
        for layer, factor in factors:
            for weight in layer.weights:  # not trainable_weights: a frozen base has none yet
                self._factor_by_id[id(weight)] = float(factor)

    def build(self, var_list):
        self._factors = [self._factor_by_id.get(id(v), 1.0) for v in var_list]
        super().build(var_list)

    def update_step(self, gradient, variable, learning_rate):
        factor = self._factors[self._get_variable_index(variable)]
        super().update_step(gradient, variable, learning_rate * factor)


@keras.saving.register_keras_serializable(package="tl_course")
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup from 0 to `peak`, then cosine decay to `peak * final_fraction`.

    Args:
        peak: learning rate reached at the end of warmup.
        total_steps: optimizer steps in the whole run (> 0).
        warmup_steps: steps of linear warmup, in [0, total_steps).
        final_fraction: learning rate at the last step, as a fraction of peak.

    Example:

    >>> schedule = WarmupCosine(1e-3, total_steps=100, warmup_steps=10)
    >>> round(float(schedule(10)), 6)
    0.001
    """

    def __init__(self, peak, total_steps, warmup_steps=0, final_fraction=0.0):
        if total_steps <= 0 or not 0 <= warmup_steps < total_steps:
            raise ValueError(
                "Expected total_steps > 0 and 0 <= warmup_steps < total_steps; "
                f"received total_steps={total_steps}, warmup_steps={warmup_steps}."
            )
        self.peak = float(peak)
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)
        self.final_fraction = float(final_fraction)

    def __call__(self, step):
        ops = keras.ops
        step = ops.cast(step, "float32")
        warm = self.peak * step / max(self.warmup_steps, 1)
        progress = ops.clip((step - self.warmup_steps) / max(self.total_steps - self.warmup_steps, 1), 0.0, 1.0)
        cosine = 0.5 * (1.0 + ops.cos(math.pi * progress))
        decayed = self.peak * (self.final_fraction + (1.0 - self.final_fraction) * cosine)
        return ops.where(step < self.warmup_steps, warm, decayed)

    def get_config(self):
        return {
            "peak": self.peak,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "final_fraction": self.final_fraction,
        }


class EpochTimer(keras.callbacks.Callback):
    """Record the wall time of every epoch of `fit`, validation included.

    Taught in `01_feature_extraction`: the first epoch also pays for building
    the graph (tracing) and decoding the images, the later ones show what an
    epoch really costs.

    Attributes:
        seconds: list of floats, one per epoch finished, in order.

    Example:

    >>> timer = EpochTimer()
    >>> model.fit(x, y, epochs=3, callbacks=[timer])  # doctest: +SKIP
    >>> len(timer.seconds)  # doctest: +SKIP
    3
    """

    def __init__(self):
        super().__init__()
        self.seconds = []
        self._start = None

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def timed_fit(model, *args, **kwargs):
    """Call `model.fit` and time it.

    A `tf.data.Dataset` shuffles itself (`pipeline.make_dataset(shuffle=True)`),
    so `fit`'s own `shuffle` defaults to False for one: Keras 3.15 warns that it
    ignores `shuffle=True` there.

    Returns:
        `(history_dict, seconds)`.
    """
    kwargs.setdefault("verbose", 0)
    import tensorflow as tf

    if isinstance(args[0] if args else kwargs.get("x"), tf.data.Dataset):
        kwargs.setdefault("shuffle", False)
    start = time.perf_counter()
    history = model.fit(*args, **kwargs)
    return history.history, time.perf_counter() - start
