"""Taught in 02_fine_tuning: a learning-rate range test's reading, a warmup-then-cosine learning rate,
callbacks for a long run, joined histories.

The optimizer with discriminative learning rates (`training.DiscriminativeAdam`)
and the unfreezing helpers (`freezing.unfreeze_top_blocks`) are in `core`,
since 03_multi_task uses them too; so is the warmup-then-cosine schedule
(`training.WarmupCosine`, which 08_text_transfer reuses), still importable from here.
"""

import dataclasses
from pathlib import Path

import keras
import numpy as np

from tl_course.core.training import WarmupCosine

__all__ = ["RangeTest", "WarmupCosine", "join_histories", "read_range_test", "smooth_losses", "standard_callbacks"]


def smooth_losses(losses, beta=0.7):
    """Return the exponential moving average of `losses`, with Adam-style bias correction.

    Args:
        losses: float array-like `(steps,)`, one loss per batch.
        beta: weight of the past, in [0, 1); 0 returns the losses unchanged.

    Returns:
        float array `(steps,)`.

    Raises:
        ValueError: `beta` outside [0, 1).
    """
    if not 0 <= beta < 1:
        raise ValueError(f"Expected beta in [0, 1); received {beta}.")
    smoothed, average = [], 0.0
    for step, loss in enumerate(np.asarray(losses, dtype=float), start=1):
        average = beta * average + (1 - beta) * loss
        smoothed.append(average / (1 - beta**step))
    return np.array(smoothed)


@dataclasses.dataclass(frozen=True)
class RangeTest:
    """What a learning-rate range test (Smith, 2017) shows.

    Attributes:
        rates: the learning rate of each step run, increasing.
        losses: the loss of each step's batch.
        smoothed: `smooth_losses(losses)`.
        steepest: the rate where the smoothed loss falls fastest per factor of rate.
        lowest: the rate where the smoothed loss is lowest.
        diverged: the first rate past `lowest` where the smoothed loss exceeds
            `diverge` times its lowest value; None if it never did.
    """

    rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    steepest: float
    lowest: float
    diverged: object


def read_range_test(rates, losses, beta=0.7, diverge=4.0):
    """Read a learning-rate range test: where the loss falls fastest, bottoms out and diverges.

    Taught in `02_fine_tuning`. The loss is smoothed first (`smooth_losses`);
    the slope is taken against the logarithm of the rate, since the rates grow
    geometrically.

    Args:
        rates: increasing positive rates, at least as many as `losses` (a test
            stopped early at divergence ran only the first ones).
        losses: the loss of each step, at least 3.
        beta: smoothing, see `smooth_losses`.
        diverge: factor over the lowest smoothed loss that counts as diverged.

    Returns:
        `RangeTest`.

    Raises:
        ValueError: fewer than 3 losses, more losses than rates, or rates not
            positive and increasing.
    """
    losses = np.asarray(losses, dtype=float)
    rates = np.asarray(rates, dtype=float)[: len(losses)]
    if len(losses) < 3 or len(rates) < len(losses):
        raise ValueError(f"Expected at least 3 losses and a rate for each; received {len(losses)} losses, {len(rates)} rates.")
    if np.any(rates <= 0) or np.any(np.diff(rates) <= 0):
        raise ValueError("Expected positive, increasing rates; received " + np.array2string(rates[:5]) + "...")
    smoothed = smooth_losses(losses, beta)
    finite = np.where(np.isfinite(smoothed), smoothed, np.inf)
    low = int(np.argmin(finite))
    slope = np.gradient(np.where(np.isfinite(smoothed), smoothed, finite[low]), np.log(rates))
    steep = int(np.argmin(slope[: low + 1]))
    past = np.flatnonzero(~(finite[low:] <= diverge * finite[low]))
    diverged = float(rates[low + past[0]]) if len(past) else None
    return RangeTest(rates, losses, smoothed, float(rates[steep]), float(rates[low]), diverged)


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
