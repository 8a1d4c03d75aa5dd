"""Input pipelines from folders and from arrays."""

import keras
import numpy as np
import pytest

from conftest import make_image
from tl_course.core import evaluation, images, pipeline


@pytest.fixture
def folder(tmp_path):
    for i in range(5):
        make_image(tmp_path / "a" / f"{i}.jpg", size=(40, 30), color=(255, 0, 0))
        make_image(tmp_path / "b" / f"{i}.png", size=(20, 50), color=(0, 0, 255), fmt="PNG")
    return images.scan_image_folder(tmp_path)


def test_batches_are_resized_float_pixels(folder):
    x, y = next(iter(pipeline.make_dataset(folder, 32, batch_size=4)))
    assert x.shape == (4, 32, 32, 3) and x.dtype.name == "float32" and y.dtype.name == "int32"
    assert 0 <= float(np.min(x)) and float(np.max(x)) <= 255


def test_drop_remainder_keeps_every_batch_full(folder):
    sizes = [len(y) for _, y in pipeline.make_dataset(folder, 16, batch_size=4)]
    full = [len(y) for _, y in pipeline.make_dataset(folder, 16, batch_size=4, shuffle=True, drop_remainder=True)]
    assert sizes == [4, 4, 2] and full == [4, 4]


def test_load_arrays_keeps_order_and_labels(folder):
    pixels, labels = pipeline.load_arrays(folder, 16)
    assert pixels.shape == (10, 16, 16, 3) and labels.tolist() == folder.labels.tolist()
    assert np.allclose(pixels[0, 8, 8], [255, 0, 0], atol=2) and np.allclose(pixels[-1, 8, 8], [0, 0, 255], atol=2)


def test_shuffle_one_hot_and_batch_map(folder):
    ds = pipeline.make_dataset(folder, 16, batch_size=10, shuffle=True, seed=1, one_hot=True,
                               batch_map=lambda x, y: (x * 0.0, y))
    x, y = next(iter(ds))
    assert y.shape == (10, 2) and np.allclose(np.sum(y, axis=1), 1) and float(np.max(x)) == 0.0
    epoch1 = [int(np.argmax(v)) for v in y]
    assert sorted(epoch1) == [0] * 5 + [1] * 5


def test_batch_map_runs_in_batch_order(folder):
    """A stateful batch_map (MixUp draws from a seed generator) must see batches one at a time, in order,
    so that one seed gives one run."""
    import tensorflow as tf

    calls = tf.Variable(0, dtype=tf.int32)

    def stamp(x, y):
        calls.assign_add(1)
        return x * 0.0 + tf.cast(calls.read_value(), tf.float32), y

    for _ in range(3):
        calls.assign(0)
        ds = pipeline.make_dataset(folder, 8, batch_size=1, batch_map=stamp)
        stamps = [float(x[0, 0, 0, 0]) for x, _ in ds]
        assert stamps == [float(i) for i in range(1, len(folder) + 1)]


def test_array_dataset_and_accuracy():
    x = np.arange(10, dtype="float32").reshape(5, 2)
    batches = list(pipeline.array_dataset(x, np.arange(5), batch_size=2).as_numpy_iterator())
    assert [len(b[0]) for b in batches] == [2, 2, 1]
    assert sorted(np.concatenate([b[1] for b in batches]).tolist()) == [0, 1, 2, 3, 4]
    inputs = keras.Input((2,))
    model = keras.Model(inputs, {"a": keras.layers.Lambda(lambda t: keras.ops.stack([t[:, 0], t[:, 1]], axis=1))(inputs)})
    assert evaluation.accuracy(model, x, np.ones(5, int), output="a") == 1.0
    assert evaluation.accuracy(model, x, np.zeros(5, int), output="a") == 0.0
