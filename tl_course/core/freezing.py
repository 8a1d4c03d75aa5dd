"""Freeze and unfreeze a backbone, count parameters, and check which weights moved.

Taught in `01_feature_extraction` (a frozen base comes out of training
unchanged) and `02_fine_tuning` (unfreezing the top blocks, BatchNormalization
kept in inference mode). What keeps BatchNormalization in inference mode is
freezing it (`trainable=False`, as `unfreeze_top_blocks` does by default): in
Keras 3 the `training=True` that `fit()` passes to the whole model overrides a
`training=False` given to the base when the model was built
(keras-team/keras#20285).
"""

import dataclasses

import keras
import numpy as np

from tl_course.core import backbones

__all__ = ["ParamCounts", "count_params", "freeze", "moved_weights", "restore_weights", "snapshot_weights", "unfreeze_top_blocks"]


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


def restore_weights(model, snapshot):
    """Put back every weight of `model` from a `snapshot_weights` copy (after a trial step or run); returns `model`.

    Raises:
        KeyError: a weight of `model` is not in `snapshot` (a copy of another model).
    """
    missing = [w.path for w in model.weights if w.path not in snapshot]
    if missing:
        raise KeyError(f"The snapshot has no copy of {missing[:3]}: was it taken from this model?")
    for weight in model.weights:
        weight.assign(snapshot[weight.path])
    return model


def moved_weights(before, model, atol=0.0):
    """Return the paths of weights that differ from a `snapshot_weights` copy."""
    return [w.path for w in model.weights if w.path in before and not np.allclose(before[w.path], w.numpy(), rtol=0, atol=atol)]
