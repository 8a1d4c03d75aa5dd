"""Build the course's transfer models: preprocessing, embedder, classifier, head.

Taught in `01_feature_extraction` (a new head on a frozen base); used by every
lesson after it. Freezing and unfreezing live in `freezing`.
"""

import keras

from tl_course.core import backbones

__all__ = ["Preprocess", "build_classifier", "build_embedder", "build_head"]


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
