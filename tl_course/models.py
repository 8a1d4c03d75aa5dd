"""Heads, freezing and unfreezing, and parameter counts.

Taught in `01_feature_extraction` (a new head on a frozen base) and
`02_fine_tuning` (unfreezing the top blocks with BatchNormalization kept in
inference mode). What keeps BatchNormalization in inference mode is freezing
it (`trainable=False`, as `unfreeze_top_blocks` does by default): in Keras 3
the `training=True` that `fit()` passes to the whole model overrides a
`training=False` given to the base when the model was built.
"""

import dataclasses

import keras
import numpy as np

from tl_course import backbones

__all__ = [
    "ParamCounts",
    "Preprocess",
    "build_classifier",
    "build_embedder",
    "build_head",
    "count_params",
    "freeze",
    "moved_weights",
    "snapshot_weights",
    "unfreeze_top_blocks",
]


@keras.saving.register_keras_serializable(package="tl_course")
class Preprocess(keras.layers.Layer):
    """Apply a registered backbone's `preprocess_input` to raw [0, 255] pixels.

    A layer rather than a bare function call, so a saved `.keras` model
    reloads with its preprocessing.

    Args:
        backbone: registry key, e.g. `"mobilenet_v2"`.
    """

    def __init__(self, backbone, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self._fn = backbones.get_backbone(backbone).preprocess()

    def call(self, inputs):
        return self._fn(keras.ops.cast(inputs, self.compute_dtype))

    def get_config(self):
        return {**super().get_config(), "backbone": self.backbone}


def _features(base, backbone, inputs, training=False):
    x = Preprocess(backbone, name="preprocess")(inputs)
    x = base(x, training=training)
    if len(x.shape) == 4:
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return x


def build_embedder(base, backbone, image_size):
    """Wrap a base so it maps raw `(batch, size, size, 3)` pixels to features."""
    inputs = keras.Input((image_size, image_size, 3), name="pixels")
    return keras.Model(inputs, _features(base, backbone, inputs), name=f"{backbone}_embedder")


def build_classifier(base, backbone, num_classes, image_size, dropout=0.2, augmentation=None, base_training=False):
    """Put a new softmax head on a backbone: pixels -> class probabilities.

    Args:
        base: a backbone from `backbones.load_backbone` (pooled or not).
        backbone: its registry key (selects `preprocess_input`).
        num_classes: output classes.
        image_size: square input size in pixels.
        dropout: dropout rate before the last layer.
        augmentation: optional layer applied to the pixels (training only).
        base_training: the base's mode when the model is called without a
            `training` value (`model(x)`). `fit()`, `evaluate()` and
            `predict()` pass their own value, which overrides this one in
            Keras 3: only frozen BatchNormalization layers stay in inference
            mode during `fit()` (`02_fine_tuning` measures it).

    Returns:
        `keras.Model`, `float32 (batch, num_classes)` output even under a
        mixed-precision policy.
    """
    inputs = keras.Input((image_size, image_size, 3), name="pixels")
    x = augmentation(inputs) if augmentation is not None else inputs
    x = _features(base, backbone, x, training=base_training)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"{backbone}_classifier")


def build_head(input_dim, num_classes, dropout=0.2, name="head"):
    """Build the classifier head alone, for cached embeddings `(batch, input_dim)`."""
    inputs = keras.Input((input_dim,), name="embedding")
    x = keras.layers.Dropout(dropout, name="dropout")(inputs)
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


def freeze(model):
    """Make every weight of `model` non-trainable; returns `model`."""
    model.trainable = False
    return model


def unfreeze_top_blocks(base, backbone, n_blocks, train_batchnorm=False):
    """Unfreeze the top `n_blocks` blocks of a base; keep everything else frozen.

    BatchNormalization layers stay frozen unless `train_batchnorm`: their
    moving statistics then stay the ImageNet ones.

    Args:
        base: backbone model.
        backbone: its registry key (defines the blocks).
        n_blocks: blocks to unfreeze, counted from the output.
        train_batchnorm: also unfreeze BatchNormalization layers in those blocks.

    Returns:
        Names of the layers now trainable.
    """
    chosen = {id(layer) for layer in backbones.layers_in_top_blocks(base, backbone, n_blocks)}
    base.trainable = True
    names = []
    for layer in base.layers:
        is_bn = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = id(layer) in chosen and (train_batchnorm or not is_bn)
        if layer.trainable and layer.weights:
            names.append(layer.name)
    return names


@dataclasses.dataclass(frozen=True)
class ParamCounts:
    """Trainable and frozen (non-trainable) parameter counts of a model."""

    trainable: int
    frozen: int

    @property
    def total(self):
        return self.trainable + self.frozen


def count_params(model):
    """Return `ParamCounts` for `model` (BatchNorm moving statistics count as frozen)."""
    size = lambda weights: int(sum(np.prod(w.shape) for w in weights))
    return ParamCounts(size(model.trainable_weights), size(model.non_trainable_weights))


def snapshot_weights(model):
    """Copy every weight of `model`: `{path: numpy array}`."""
    return {w.path: np.array(w.numpy()) for w in model.weights}


def moved_weights(before, model, atol=0.0):
    """Return the paths of weights that differ from a `snapshot_weights` copy."""
    return [w.path for w in model.weights if w.path in before and not np.allclose(before[w.path], w.numpy(), rtol=0, atol=atol)]
