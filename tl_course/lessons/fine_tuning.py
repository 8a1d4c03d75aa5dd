"""Taught in 02_fine_tuning: a warmup-then-cosine learning rate, callbacks for a long run, joined histories.

The optimizer with discriminative learning rates (`training.DiscriminativeAdam`)
and the unfreezing helpers (`freezing.unfreeze_top_blocks`) are in `core`,
since 03_multi_task uses them too.
"""

import math
from pathlib import Path

import keras
import numpy as np

__all__ = ["WarmupCosine", "join_histories", "standard_callbacks"]


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


def standard_callbacks(run_dir, monitor="val_loss", patience=3):
    """Return early stopping (restoring the best weights), checkpointing and a CSV log.

    Args:
        run_dir: folder for `best.keras` and `log.csv` (created).
        monitor: metric watched by early stopping and the checkpoint.
        patience: epochs without improvement before stopping.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    return [
        keras.callbacks.EarlyStopping(monitor=monitor, patience=patience, restore_best_weights=True),
        keras.callbacks.ModelCheckpoint(str(run_dir / "best.keras"), monitor=monitor, save_best_only=True),
        keras.callbacks.CSVLogger(str(run_dir / "log.csv")),
    ]


def join_histories(*histories):
    """Concatenate history dicts of consecutive phases.

    Returns:
        `(joined, boundaries)`: one dict of lists, and the epoch index at which
        each later phase starts (for `plots.learning_curves`).
    """
    joined, boundaries, epochs = {}, [], 0
    for i, history in enumerate(histories):
        if i:
            boundaries.append(epochs)
        length = len(next(iter(history.values()), []))
        for key in set(joined) | set(history):
            joined.setdefault(key, [np.nan] * epochs)
            joined[key] += list(history.get(key, [np.nan] * length))
        epochs += length
    return joined, boundaries
