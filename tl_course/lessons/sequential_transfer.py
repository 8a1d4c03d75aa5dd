"""Taught in 05_sequential_transfer: ImageNet -> intermediate task -> target task, and forgetting.

The backbone stays frozen; what travels
along the chain is a small trainable *adapter* (a Dense layer on the cached
embeddings). Each stage is a model `embedding -> adapter -> head`, saved as
`.keras` and reloaded to continue. Fine-tuning the shared adapter on the
target changes the intermediate model's answers (catastrophic forgetting);
rehearsal and Learning without Forgetting (LwF, Li & Hoiem 2016) train a
two-headed model to limit that.

Example:

>>> adapter = build_adapter(1280, units=64)                         # doctest: +SKIP
>>> stage = stack(adapter, model_builders.build_head(64, 3, name="intermediate"))  # doctest: +SKIP
"""

import keras

__all__ = ["DistillationLoss", "build_adapter", "soften", "stack", "two_heads"]


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
