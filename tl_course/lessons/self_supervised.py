"""Taught in 12_self_supervised: the plumbing of self-supervised pretraining on small images.

The pretext tasks themselves (rotation prediction, and the NT-Xent loss of SimCLR, written with
`keras.ops`) are in the notebook, where they are taught. Here: the small encoder every method
shares (`small_encoder`), the two random views of each image that contrastive learning compares
(`two_views`), and a Keras model whose `fit` trains an encoder on pairs of views with any pairwise
loss (`ContrastivePretrainer`). Features come out with `core.evaluation.outputs_in_batches`.
"""

import keras

__all__ = ["ContrastivePretrainer", "small_encoder", "two_views"]


def small_encoder(image_size, widths=(32, 64, 128), name="encoder"):
    """Build a small CNN whose output joins the average-pooled features of every block.

    Each block is a 3x3 convolution, BatchNormalization, ReLU and 2x2 max pooling. Pooling every
    block, not only the last, keeps the more general early features: a pretext task makes the last
    block specific to itself (for rotation prediction, Gidaris et al. 2018 found the middle blocks
    transfer best).

    Args:
        image_size: square input side in pixels; inputs are raw [0, 255] pixels.
        widths: filters per block.
        name: the model's name.

    Returns:
        `keras.Model`: `(batch, size, size, 3)` -> `(batch, sum(widths))`.
    """
    if not widths or min(widths) < 1:
        raise ValueError(f"Expected at least one block of >= 1 filters; received widths={widths!r}.")
    inputs = keras.Input((image_size, image_size, 3), name="pixels")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1, name="scale")(inputs)
    pooled = []
    for i, filters in enumerate(widths, start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{i}_conv")(x)
        x = keras.layers.BatchNormalization(name=f"block{i}_bn")(x)
        x = keras.layers.ReLU(name=f"block{i}_relu")(x)
        pooled.append(keras.layers.GlobalAveragePooling2D(name=f"block{i}_pool")(x))
        x = keras.layers.MaxPooling2D(name=f"block{i}_down")(x)
    outputs = pooled[0] if len(pooled) == 1 else keras.layers.Concatenate(name="features")(pooled)
    return keras.Model(inputs, outputs, name=name)


def two_views(images, crop_fraction=0.75, brightness=40.0):
    """Return two random views of each image: a random crop resized back, a random flip, a brightness shift.

    SimCLR's augmentations (Chen et al., 2020), shrunk to what matters at low resolution: crops
    and colour. Works on a batch inside `tf.function` (TensorFlow ops).

    Args:
        images: `float (batch, size, size, 3)` in [0, 255].
        crop_fraction: side of the crop as a share of the image side, in (0, 1].
        brightness: the largest brightness shift, in pixel units.

    Returns:
        `(view_a, view_b)`, each like `images`.
    """
    import tensorflow as tf

    if not 0 < crop_fraction <= 1:
        raise ValueError(f"Expected crop_fraction in (0, 1]; received {crop_fraction}.")
    images = tf.convert_to_tensor(images, tf.float32)
    size = images.shape[1]
    crop = max(1, int(round(size * crop_fraction)))

    def view():
        batch = tf.shape(images)[0]
        v = tf.image.resize(tf.image.random_crop(images, tf.stack([batch, crop, crop, 3])), (size, size))
        v = tf.image.random_flip_left_right(v)
        v = v + tf.random.uniform((batch, 1, 1, 1), -brightness, brightness)
        return tf.clip_by_value(v, 0.0, 255.0)

    return view(), view()


class ContrastivePretrainer(keras.Model):
    """Train `encoder` (and a projection head) with a loss on the projections of two views of each image.

    `fit` takes batches of unlabelled images: `model.fit(dataset_of_image_batches, epochs=...)`.
    The loss sees `(z_a, z_b)`, the projections of the two views, row `i` of each from the same image.

    Args:
        encoder: `keras.Model`, images -> features; trained in place.
        projector: `keras.Model` or layer, features -> the vectors the loss compares
            (SimCLR's projection head, dropped after pretraining).
        pair_loss: `(z_a, z_b) -> scalar`, e.g. NT-Xent.
        views: `images -> (view_a, view_b)`; defaults to `two_views`.
    """

    def __init__(self, encoder, projector, pair_loss, views=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.projector, self.pair_loss = encoder, projector, pair_loss
        self.views = views or two_views
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, images, training=False):
        return self.projector(self.encoder(images, training=training), training=training)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def train_step(self, images):
        import tensorflow as tf

        if isinstance(images, tuple):  # a dataset of (images, anything)
            images = images[0]
        view_a, view_b = self.views(images)
        with tf.GradientTape() as tape:
            loss = self.pair_loss(self(view_a, training=True), self(view_b, training=True))
        variables = self.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

