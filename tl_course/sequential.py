"""Sequential transfer: ImageNet -> intermediate task -> target task, and forgetting.

Taught in `05_sequential_transfer`. The backbone stays frozen; what travels
along the chain is a small trainable *adapter* (a Dense layer on the cached
embeddings). Each stage is a model `embedding -> adapter -> head`, saved as
`.keras` and reloaded to continue. Fine-tuning the shared adapter on the
target changes the intermediate model's answers (catastrophic forgetting);
rehearsal and Learning without Forgetting (LwF, Li & Hoiem 2016) train a
two-headed model to limit that.

Example:

>>> adapter = build_adapter(1280, units=64)                         # doctest: +SKIP
>>> stage = stack(adapter, models.build_head(64, 3, name="intermediate"))  # doctest: +SKIP
"""

import dataclasses

import keras
import numpy as np

__all__ = [
    "Comparison",
    "DistillationLoss",
    "accuracy",
    "array_dataset",
    "build_adapter",
    "compare_paired",
    "per_class_sample",
    "runs_figure",
    "soften",
    "stack",
    "two_heads",
]


def build_adapter(input_dim, units=64, name="adapter"):
    """Build the transferable part: `(batch, input_dim)` -> ReLU `(batch, units)`.

    Args:
        input_dim: embedding size, e.g. 1280 for MobileNetV2.
        units: output size (> 0).
        name: the sub-model's name; a reloaded stage gives the adapter back
            with `model.get_layer(name)`.

    Returns:
        `keras.Model`.

    Raises:
        ValueError: `units` is not positive.
    """
    if int(units) <= 0:
        raise ValueError(f"Expected units > 0, received {units}.")
    inputs = keras.Input((int(input_dim),), name="embedding")
    outputs = keras.layers.Dense(int(units), activation="relu", name="dense")(inputs)
    return keras.Model(inputs, outputs, name=name)


def stack(adapter, head, name=None):
    """Return the stage model `embedding -> adapter -> head`.

    The layers are shared, not copied: training the stage trains `adapter`
    wherever else it is used.
    """
    inputs = keras.Input(adapter.input_shape[1:], name="embedding")
    return keras.Model(inputs, head(adapter(inputs)), name=name or f"{adapter.name}_{head.name}")


def two_heads(adapter, old_head, new_head, name="two_heads"):
    """Return a model with one adapter and two outputs, keyed by the heads' names.

    Rehearsal and LwF train this model: the new head learns the target while
    a loss on the old head keeps the adapter useful for the old task.
    """
    if old_head.name == new_head.name:
        raise ValueError(f"Expected heads with different names, received {old_head.name!r} twice.")
    inputs = keras.Input(adapter.input_shape[1:], name="embedding")
    features = adapter(inputs)
    return keras.Model(inputs, {old_head.name: old_head(features), new_head.name: new_head(features)}, name=name)


def soften(probabilities, temperature):
    """Raise class probabilities to `1 / temperature` and renormalise (LwF's softening).

    Args:
        probabilities: `(batch, classes)`, rows summing to 1.
        temperature: > 0; 1 leaves the rows unchanged, larger flattens them.

    Returns:
        Tensor of the same shape, rows summing to 1.
    """
    if not float(temperature) > 0:
        raise ValueError(f"Expected temperature > 0, received {temperature}.")
    ops = keras.ops
    p = ops.clip(ops.convert_to_tensor(probabilities, "float32"), 1e-7, 1.0) ** (1.0 / float(temperature))
    return p / ops.sum(p, axis=-1, keepdims=True)


@keras.saving.register_keras_serializable(package="tl_course")
class DistillationLoss(keras.losses.Loss):
    """Cross-entropy between softened old-model and new-model probabilities.

    `y_true` holds the old model's probabilities, recorded before training
    on the target; `y_pred` the new model's. Both are softened with
    `soften(., temperature)` (LwF uses 2).

    Args:
        temperature: > 0.
    """

    def __init__(self, temperature=2.0, name="distillation", **kwargs):
        super().__init__(name=name, **kwargs)
        if not float(temperature) > 0:
            raise ValueError(f"Expected temperature > 0, received {temperature}.")
        self.temperature = float(temperature)

    def call(self, y_true, y_pred):
        target = soften(y_true, self.temperature)
        predicted = soften(y_pred, self.temperature)
        return -keras.ops.sum(target * keras.ops.log(predicted), axis=-1)

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}


def per_class_sample(labels, n, seed=0):
    """Pick `n` indices of every class, at random (a few-shot set, a rehearsal buffer).

    Returns:
        Sorted int array of `n * classes` indices.

    Raises:
        ValueError: a class has fewer than `n` examples.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        if len(members) < n:
            raise ValueError(f"Expected at least {n} examples of class {cls}, received {len(members)}.")
        chosen.append(rng.choice(members, n, replace=False))
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, int)


def array_dataset(x, y, batch_size=32, seed=0, sample_weight=None):
    """Wrap in-memory arrays in a shuffled, cached `tf.data.Dataset`.

    Fitting from a dataset avoids the per-epoch cost of converting NumPy
    arrays, which dominates when a few-shot epoch is one small batch.

    Args:
        x: `(n, ...)` array.
        y: `(n, ...)` array, or a dict of them (one per output).
        batch_size: examples per batch.
        seed: shuffle seed (reshuffled every epoch).
        sample_weight: optional `(n,)` array, or a dict like `y`.
    """
    import tensorflow as tf

    parts = (x, y) if sample_weight is None else (x, y, sample_weight)
    ds = tf.data.Dataset.from_tensor_slices(parts).cache()
    ds = ds.shuffle(max(len(x), 1), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size)


def accuracy(model, x, y, output=None):
    """Return the fraction of `x` whose arg-max prediction equals `y`.

    Args:
        output: for a model with dict outputs, the key to score.
    """
    predictions = model(np.asarray(x, np.float32), training=False)
    if output is not None:
        predictions = predictions[output]
    return float(np.mean(np.argmax(np.asarray(predictions), axis=-1) == np.asarray(y)))


# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (1.96 beyond).
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Two methods scored on the same runs (seeds), paired run by run.

    Attributes:
        mean_a, std_a, mean_b, std_b: mean and standard deviation per method.
        diffs: `a - b` per run.
        ci: 95% confidence interval `(low, high)` of the mean difference
            (Student's t, a paired t-test).
        verdict: `"a"` when the whole interval is above 0, `"b"` when it is
            below 0, else `"tie"`.
    """

    mean_a: float
    std_a: float
    mean_b: float
    std_b: float
    diffs: np.ndarray
    ci: tuple
    verdict: str

    @property
    def mean_diff(self):
        return float(np.mean(self.diffs))


def compare_paired(a, b):
    """Compare per-run scores `a` and `b` (same seeds, same data) as a `Comparison`.

    Raises:
        ValueError: `a` and `b` differ in length or hold fewer than 2 runs.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"Expected two equal-length lists of at least 2 runs, received shapes {a.shape} and {b.shape}.")
    diffs = a - b
    df = len(diffs) - 1
    half = (_T95[df - 1] if df <= len(_T95) else 1.96) * diffs.std(ddof=1) / np.sqrt(len(diffs))
    ci = (float(diffs.mean() - half), float(diffs.mean() + half))
    verdict = "a" if ci[0] > 0 else "b" if ci[1] < 0 else "tie"
    return Comparison(float(a.mean()), float(a.std(ddof=1)), float(b.mean()), float(b.std(ddof=1)), diffs, ci, verdict)


def runs_figure(panels, title=None):
    """Plot per-run scores of several methods, one panel per metric.

    Each run is a grey line through its methods (the pairing); each method
    gets its mean and a +-1 standard deviation bar.

    Args:
        panels: `{y_label: {method: [score per run]}}`; every method list of a
            panel has the same runs, in the same order.
        title: optional figure title.

    Returns:
        matplotlib `Figure`.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2 * len(panels), 3.6))
    for i, (ylabel, scores) in enumerate(panels.items()):
        ax = fig.add_subplot(1, len(panels), i + 1)
        names = list(scores)
        values = np.array([np.asarray(scores[name], float) for name in names])
        positions = np.arange(len(names))
        ax.plot(positions, values, color="0.75", linewidth=0.8, zorder=1)
        ax.scatter(np.repeat(positions, values.shape[1]), values.ravel(), s=12, color="0.4", zorder=2)
        ax.errorbar(positions + 0.12, values.mean(axis=1), yerr=values.std(axis=1, ddof=1) if values.shape[1] > 1 else None,
                    fmt="o", color="C3", capsize=4, zorder=3, label="mean ± std")
        ax.set_xticks(positions, names, rotation=20, ha="right")
        ax.set_ylabel(ylabel)
        ax.legend(loc="best", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
