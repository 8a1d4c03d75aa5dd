"""tf.data input pipelines: decode once, cache, prefetch.

The pipeline reads files in parallel, decodes and resizes them, caches the
resized pixels in memory, and prefetches, so the backbone and not the input is
what limits speed (`tl-course bench` measures both).
"""

import numpy as np

__all__ = ["array_dataset", "load_arrays", "make_dataset"]


def _decode(path, image_size):
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image = tf.image.resize(image, (image_size, image_size))
    image.set_shape((image_size, image_size, 3))
    return image


def make_dataset(
    folder,
    image_size,
    batch_size=32,
    shuffle=False,
    seed=0,
    cache=True,
    one_hot=False,
    batch_map=None,
    drop_remainder=False,
):
    """Build a `tf.data.Dataset` of `(images, labels)` batches from an ImageFolder.

    Args:
        folder: `images.ImageFolder` (validated files only).
        image_size: square output size in pixels.
        batch_size: images per batch.
        shuffle: reshuffle each epoch with `seed` (training data).
        seed: shuffle seed.
        cache: keep the decoded, resized images in memory after the first pass.
        one_hot: labels as one-hot float vectors (needed by MixUp and label smoothing).
        batch_map: optional function `(images, labels) -> (images, labels)` applied
            per batch after caching, e.g. MixUp. It runs on one batch at a time, in
            order: a random `batch_map` (MixUp draws from a seed generator) then
            gives the same batches for the same seed on every run.
        drop_remainder: leave out the last, smaller batch of each pass (with `shuffle`,
            different photos each epoch). For training: a batch of another size makes
            Keras trace its train step a second time, seconds per `fit` on a CPU.

    Returns:
        Dataset of `float32 (batch, size, size, 3)` pixels in [0, 255] and labels
        (`int32 (batch,)`, or `float32 (batch, classes)` when one_hot).
    """
    import tensorflow as tf

    paths = tf.constant(folder.paths)
    labels = tf.constant(folder.labels, dtype=tf.int32)
    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    ds = ds.map(lambda p, y: (_decode(p, image_size), y), num_parallel_calls=tf.data.AUTOTUNE)
    if one_hot:
        depth = len(folder.class_names)
        ds = ds.map(lambda x, y: (x, tf.one_hot(y, depth)))
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(max(len(folder), 1), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if batch_map is not None:
        ds = ds.map(batch_map)  # sequential: parallel calls would draw random numbers in any order
    return ds.prefetch(tf.data.AUTOTUNE)


def load_arrays(folder, image_size, batch_size=64):
    """Decode every image of a folder into memory.

    Returns:
        `(images, labels)`: `float32 (n, size, size, 3)` in [0, 255], `int (n,)`.
    """
    batches = list(make_dataset(folder, image_size, batch_size, cache=False).as_numpy_iterator())
    if not batches:
        return np.zeros((0, image_size, image_size, 3), np.float32), np.zeros(0, int)
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


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
