"""Taught in 10_parameter_efficient: the plumbing around parameter-efficient fine-tuning of a convolutional backbone.

The methods themselves (BitFit, BatchNormalization-only, bottleneck adapters, LoRA on the 1x1
convolutions) are written in the notebook, where they are taught. Here: a classifier whose
BatchNormalization statistics stay ImageNet's while its scale and shift may train
(`FrozenStatistics`, `build_classifier`), new layers spliced into a pretrained functional
backbone (`insert_after`), the per-task delta (`delta`, `save_delta`, `load_delta`), a
timed run that can be repeated with other seeds without tracing again (`StepTimer`,
`reset_optimizer`), memory (`training_state_bytes`, `peak_accelerator_memory`) and the
accuracy-against-parameters figure (`accuracy_vs_parameters`).
"""

import io
import time
from pathlib import Path

import keras
import numpy as np

from tl_course.core import model_builders, plots

__all__ = [
    "FrozenStatistics",
    "StepTimer",
    "accuracy_vs_parameters",
    "build_classifier",
    "delta",
    "insert_after",
    "load_delta",
    "peak_accelerator_memory",
    "reset_optimizer",
    "save_delta",
    "training_state_bytes",
]

BYTES_PER_TRAINED_PARAMETER = 12  # float32 gradient + Adam's two moments; the weight itself is in the model anyway


class FrozenStatistics(keras.layers.Layer):
    """Call a model in inference mode always, even inside `fit()`.

    BatchNormalization then normalizes with its moving (ImageNet) statistics and never updates
    them, while its scale (gamma) and shift (beta) can still train. A frozen BatchNormalization
    (lesson 02) keeps its statistics too, but also its scale and shift: this wrapper is what lets
    BitFit and BatchNormalization-only fine-tuning train them. The `training=False` is passed at
    call time, which takes precedence over `fit()`'s `training=True`; a `training=False` recorded
    when a functional model is built does not (lesson 02).

    Args:
        inner: the model (a backbone) to wrap; its weights stay its own.
    """

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, inputs):
        return self.inner(inputs, training=False)

    def compute_output_shape(self, input_shape):
        return self.inner.compute_output_shape(input_shape)


def build_classifier(base, backbone, num_classes, image_size):
    """Put a softmax head on a base whose BatchNormalization statistics never move.

    Every layer has a fixed name, so two classifiers built the same way name their weights the
    same (`weight.path`), which `load_delta` relies on.

    Args:
        base: a pooled backbone (`backbones.load_backbone(..., pooling="avg")`), possibly with
            layers inserted (`insert_after`).
        backbone: its registry key (selects `preprocess_input`).
        num_classes: output classes.
        image_size: square input size in pixels.

    Returns:
        `keras.Model`: `float32 (batch, size, size, 3)` pixels in [0, 255] -> class probabilities.
    """
    inputs = keras.Input((image_size, image_size, 3), name="pixels")
    x = model_builders.Preprocess(backbone, name="preprocess")(inputs)
    x = FrozenStatistics(base, name="base")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"{backbone}_classifier")


def insert_after(model, layer_names, make_layer):
    """Return a functional `model` with a new layer after each named layer; the old layers are reused.

    `keras.models.clone_model` rebuilds the graph: `clone_function=lambda layer: layer` keeps
    every layer (and its pretrained weights), `call_function` inserts `make_layer(name, channels)`
    after each layer named in `layer_names`.

    Args:
        model: a functional Keras model (a backbone).
        layer_names: names of layers of `model`.
        make_layer: `(layer_name, channels) -> layer`, called once per named layer; `channels` is
            the size of that layer's last output axis. Give the new layer a name of its own.

    Raises:
        ValueError: a name is not a layer of `model`.
    """
    wanted = set(layer_names)
    missing = sorted(wanted - {layer.name for layer in model.layers})
    if missing:
        raise ValueError(f"Expected names of layers of {model.name!r}; received {missing[:5]}, which it does not have.")

    def call(layer, *args, **kwargs):
        outputs = layer(*args, **kwargs)
        return make_layer(layer.name, outputs.shape[-1])(outputs) if layer.name in wanted else outputs

    return keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=call)


def delta(model):
    """Return what a task changed: `{weight path: array}` of every trainable weight of `model`.

    Raises:
        ValueError: two trainable weights share a path (give the layers distinct names).
    """
    paths = [w.path for w in model.trainable_weights]
    repeated = sorted({p for p in paths if paths.count(p) > 1})
    if repeated:
        raise ValueError(f"Expected distinct weight paths; received {repeated[:3]} more than once: name the layers.")
    return {w.path: np.array(w.numpy()) for w in model.trainable_weights}


def save_delta(model, path):
    """Save `delta(model)` to one `.npz` file and return its size in bytes.

    Only the trainable weights: the frozen ones are the pretrained backbone, which every task
    shares and which `load_delta` takes from a fresh copy.
    """
    weights = delta(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, paths=np.array(list(weights)), **{f"w{i}": value for i, value in enumerate(weights.values())})
    path.write_bytes(buffer.getvalue())
    return path.stat().st_size


def load_delta(model, source):
    """Put a saved delta into `model`, weight by weight path; returns `model`.

    Args:
        model: built the same way as the model the delta came from (same backbone, same
            inserted layers, same names), e.g. on a freshly loaded backbone.
        source: a file written by `save_delta`, or a `delta()` dict.

    Raises:
        ValueError: the delta holds a weight `model` lacks, or one of another shape.
    """
    if isinstance(source, dict):
        weights = source
    else:
        with np.load(source) as saved:
            weights = {str(p): saved[f"w{i}"] for i, p in enumerate(saved["paths"])}
    by_path = {w.path: w for w in model.weights}
    missing = [p for p in weights if p not in by_path]
    if missing:
        raise ValueError(f"Expected a delta of a model built like {model.name!r}; it has no weights {missing[:3]}.")
    for p, value in weights.items():
        if tuple(by_path[p].shape) != value.shape:
            raise ValueError(f"Expected {p} of shape {tuple(by_path[p].shape)}; the delta has {value.shape}.")
        by_path[p].assign(value)
    return model


class StepTimer(keras.callbacks.Callback):
    """Record the wall time of every training step (batch) of `fit`.

    Attributes:
        seconds: one float per step since the timer was made, across fits.
    """

    def __init__(self):
        super().__init__()
        self.seconds = []
        self._start = None

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)

    def per_step(self, skip=1):
        """Median seconds per step, leaving out the first `skip` steps (the first one also traces the graph)."""
        kept = self.seconds[skip:]
        if not kept:
            raise ValueError(f"Expected more than {skip} timed steps; received {len(self.seconds)}.")
        return float(np.median(kept))


def reset_optimizer(model):
    """Set the compiled optimizer's step count and moments back to zero; returns `model`.

    With the weights reset too (`load_delta`), the next `fit` starts a new run without
    compiling and tracing the training step again (seconds per model on a CPU). The learning
    rate is one of the optimizer's variables too; it is left as it is.
    """
    optimizer = model.optimizer
    rate = optimizer.learning_rate  # the variable itself, unless the rate is a schedule
    keep = {id(rate)} if isinstance(rate, keras.Variable) else set()
    for variable in optimizer.variables:
        if id(variable) not in keep:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
    return model


def training_state_bytes(trainable_parameters):
    """Bytes that training adds per trainable parameter: a float32 gradient and Adam's two moments."""
    return int(trainable_parameters) * BYTES_PER_TRAINED_PARAMETER


def peak_accelerator_memory(reset=False):
    """Return the GPU's peak memory in bytes since the last reset, or None on a CPU.

    TensorFlow reports memory for GPUs only (`tf.config.experimental.get_memory_info`); on a CPU
    the activations kept for the backward pass are not measured.

    Args:
        reset: start a new measurement (returns None).
    """
    import tensorflow as tf

    if not tf.config.list_logical_devices("GPU"):
        return None
    if reset:
        tf.config.experimental.reset_memory_stats("GPU:0")
        return None
    return int(tf.config.experimental.get_memory_info("GPU:0")["peak"])


def accuracy_vs_parameters(rows):
    """Plot test accuracy (mean, and the range over seeds) against trainable parameters, log x.

    Args:
        rows: list of dicts with `method`, `trainable`, `accuracies` (one per seed).

    Returns:
        matplotlib `Figure`.
    """
    fig = plots.figure(figsize=(6.5, 3.8))
    ax = fig.add_subplot()
    for row in rows:
        accuracies = np.asarray(row["accuracies"], dtype=float)
        mean = accuracies.mean()
        ax.errorbar(row["trainable"], mean, yerr=[[mean - accuracies.min()], [accuracies.max() - mean]], fmt="o", capsize=3)
        ax.annotate(row["method"], (row["trainable"], mean), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("trainable parameters (log scale)")
    ax.set_ylabel("test accuracy (mean; bars: range over seeds)")
    fig.tight_layout()
    return fig
