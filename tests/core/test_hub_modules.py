"""TF Hub modules: the registry, the cache folder of a handle, offline-first resolution, a Keras 3 layer that trains.

No test touches the network: a download is replaced by a stand-in, and an offline test fails if one is tried.
"""

import hashlib
import re
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from tl_course.core import hub_modules

NAME = "mobilenet_v2_035_224_hub"
HANDLE = "https://www.kaggle.com/models/google/mobilenet-v2/TensorFlow2/035-224-feature-vector/2"


@pytest.fixture
def no_download(monkeypatch):
    """Fail the test if anything asks tensorflow_hub to download."""
    def refuse(handle):
        raise AssertionError(f"a download was tried: {handle}")

    monkeypatch.setattr(hub_modules, "download", refuse)


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """An empty TF Hub cache that does not exist yet, offline."""
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "tfhub"))
    monkeypatch.setenv("TL_COURSE_OFFLINE", "1")
    return tmp_path / "tfhub"


def test_registry_entry_says_what_the_module_takes_and_gives():
    entry = hub_modules.get_module(NAME)
    assert entry["handle"] == HANDLE
    assert entry["input_range"] == [0.0, 1.0] and entry["image_size"] == 224 and entry["output_size"] == 1280
    assert entry["license"].startswith("Apache-2.0")
    assert set(hub_modules.registry()) == {NAME}, "only TF Hub entries of the model registry"


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=f"expected one of {NAME}.*received 'mobilenet_v3'"):
        hub_modules.resolve_module("mobilenet_v3")
    with pytest.raises(ValueError, match=f"Unknown TF Hub module: expected one of {NAME}"):
        hub_modules.get_module("mobilenet_v3")
    with pytest.raises(ValueError, match="received None"):
        hub_modules.resolve_module(None)


@pytest.mark.parametrize("handle", [HANDLE, HANDLE + "/", "https://tfhub.dev/google/imagenet/mobilenet_v2_035_224/feature_vector/5"])
def test_cache_folder_is_the_sha1_of_the_exact_handle_as_tensorflow_hub_names_it(tmp_path, monkeypatch, handle):
    from tensorflow_hub import compressed_module_resolver

    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    expected = tmp_path / hashlib.sha1(handle.encode("utf8")).hexdigest()
    assert hub_modules.cache_folder(handle) == expected
    assert Path(compressed_module_resolver._module_dir(handle)) == expected  # tensorflow_hub's own naming


def test_a_registry_name_has_the_cache_folder_of_its_handle(tmp_path, monkeypatch):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    assert hub_modules.cache_folder(NAME) == hub_modules.cache_folder(HANDLE)
    assert hub_modules.cache_folder(NAME).name == "912b36eae47b273c6d709e3c6d2e278c670ce847"  # the offline assets' folder


def test_offline_and_cached_uses_the_folder_with_no_network_call(hub_module_folder, monkeypatch, no_download):
    import urllib.request

    import tensorflow_hub as hub

    def no_network(*args, **kwargs):
        raise AssertionError("tensorflow_hub opened a URL")

    monkeypatch.setenv("TL_COURSE_OFFLINE", "1")
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    assert hub_modules.resolve_module(NAME) == hub_modules.cache_folder(HANDLE) == hub_module_folder
    assert hub_modules.resolve_module(HANDLE, allow_download=True) == hub_module_folder
    assert (hub_module_folder / "saved_model.pb").is_file()
    assert Path(hub.resolve(HANDLE)) == hub_module_folder, "tensorflow_hub finds the same folder by itself"
    folder, note = hub_modules.module_status(NAME)
    assert folder == hub_module_folder and note == f"cached in {hub_module_folder}"


def test_offline_and_missing_names_the_folder_and_the_handle(empty_cache, no_download):
    folder = empty_cache / hashlib.sha1(HANDLE.encode("utf8")).hexdigest()
    with pytest.raises(FileNotFoundError, match="is not available offline") as error:
        hub_modules.resolve_module(NAME)
    text = str(error.value)
    assert f"a folder {folder}/ holding saved_model.pb" in text and HANDLE in text
    assert f"{HANDLE}?tf-hub-format=compressed" in text and "TFHUB_CACHE_DIR" in text, text
    assert not empty_cache.exists(), "looking wrote nothing"
    assert hub_modules.module_status(NAME) == (None, f"missing: expected {folder}/ holding saved_model.pb (handle {HANDLE})")


def test_allow_download_false_wins_online_and_an_empty_folder_is_not_a_module(empty_cache, monkeypatch, no_download):
    monkeypatch.setenv("TL_COURSE_OFFLINE", "0")
    hub_modules.cache_folder(HANDLE).mkdir(parents=True)  # a download cut short
    with pytest.raises(FileNotFoundError, match="it exists but holds no saved_model.pb: delete it"):
        hub_modules.resolve_module(HANDLE, allow_download=False)


def test_online_downloads_through_tensorflow_hub_and_a_failure_names_the_folder(empty_cache, monkeypatch):
    import tensorflow_hub as hub

    asked = []

    def fake_resolve(handle):  # what hub.resolve does: fill the cache folder of the handle
        asked.append(handle)
        folder = hub_modules.cache_folder(handle)
        folder.mkdir(parents=True)
        (folder / "saved_model.pb").write_bytes(b"")
        return str(folder)

    monkeypatch.setenv("TL_COURSE_OFFLINE", "0")
    monkeypatch.setattr(hub, "resolve", fake_resolve)
    assert hub_modules.resolve_module(NAME) == hub_modules.cache_folder(HANDLE) and asked == [HANDLE]
    assert hub_modules.resolve_module(NAME) == hub_modules.cache_folder(HANDLE) and asked == [HANDLE], "cached now"

    def unreachable(handle):
        raise OSError("network unreachable")

    monkeypatch.setattr(hub, "resolve", unreachable)
    other = HANDLE[:-1] + "1"  # version 1: not cached
    with pytest.raises(FileNotFoundError, match=re.escape(str(hub_modules.cache_folder(other)))):
        hub_modules.resolve_module(other)


def test_a_local_saved_model_folder_is_used_as_is(tmp_path, no_download):
    (tmp_path / "module" / "variables").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"holding saved_model.pb; received .*module, which holds \['variables'\]"):
        hub_modules.resolve_module(tmp_path / "module")
    (tmp_path / "module" / "saved_model.pb").write_bytes(b"")
    assert hub_modules.resolve_module(str(tmp_path / "module")) == tmp_path / "module"


class _Tiny(tf.Module):
    """A TF2 SavedModel with a trainable kernel and a counter that `training=True` calls move (like batch-norm statistics)."""

    def __init__(self):
        super().__init__()
        self.kernel = tf.Variable([[1.0], [-2.0]], name="dense/kernel")
        self.calls_in_training = tf.Variable(0.0, trainable=False, name="calls_in_training")

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32), tf.TensorSpec([], tf.bool)])
    def __call__(self, x, training=False):
        if training:
            self.calls_in_training.assign_add(1.0)
        return tf.matmul(x, self.kernel)


@pytest.fixture(scope="module")
def tiny_module(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny") / "module"
    tf.saved_model.save(_Tiny(), str(folder))
    return folder


def _fit(layer, steps=4):
    """Train Input(2) -> layer -> Dense(1) for a few SGD steps; return the model."""
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    x = np.random.default_rng(0).random((4 * steps, 2)).astype("float32")
    model.fit(x, x @ np.array([[3.0], [1.0]], "float32"), batch_size=4, epochs=1, verbose=0)
    return model


@pytest.mark.parametrize("trainable", [True, False])
def test_hub_module_trains_its_variables_only_when_trainable(tiny_module, trainable):
    layer = hub_modules.HubModule(tiny_module, trainable=trainable)
    kernel = layer._module.kernel
    before = kernel.numpy().copy()
    model = _fit(layer)
    tracked = [w for w in model.trainable_weights if w.value is kernel]
    assert len(tracked) == (1 if trainable else 0)
    assert {w.name for w in layer.weights} == {"dense_kernel", "calls_in_training"}
    assert [w.name for w in layer.non_trainable_weights] == (["calls_in_training"] if trainable else ["dense_kernel", "calls_in_training"])
    moved = not np.array_equal(kernel.numpy(), before)
    assert moved is trainable
    calls = layer._module.calls_in_training.numpy()
    assert calls == (4 if trainable else 0), "training=True reaches the module only while it is trainable"


def test_unfreezing_a_hub_module_makes_its_variables_trainable(tiny_module):
    layer = hub_modules.HubModule(tiny_module)
    assert layer.trainable_weights == [] and not any(w.trainable for w in layer.weights), "a model sums its layers' flags"
    layer.trainable = True
    assert [w.name for w in layer.trainable_weights] == ["dense_kernel"]
    layer.trainable = False
    assert layer.trainable_weights == [] and not any(w.trainable for w in layer.weights)


def test_hub_module_output_equals_the_modules_own_call_and_rebuilds_from_its_config(tiny_module):
    x = np.array([[1.0, 2.0], [0.5, -1.0]], "float32")
    layer = hub_modules.HubModule(tiny_module, name="tiny")
    expected = tf.saved_model.load(str(tiny_module))(x).numpy()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), expected)
    config = layer.get_config()
    assert config["handle"] == str(tiny_module) and config["trainable"] is False
    again = hub_modules.HubModule.from_config(config)
    assert again.name == "tiny" and again._module is not layer._module
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(again(x)), expected)


def test_hub_module_keeps_float32_under_mixed_precision(tiny_module):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = hub_modules.HubModule(tiny_module)
        assert layer(np.ones((1, 2), "float16")).dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_a_saved_model_without_call_is_refused(tmp_path):
    module = tf.Module()
    module.v = tf.Variable(1.0)
    tf.saved_model.save(module, str(tmp_path / "plain"))
    with pytest.raises(ValueError, match="traced `__call__`.*TFSMLayer"):
        hub_modules.HubModule(tmp_path / "plain")


def test_the_cached_module_as_a_layer_gives_its_features(hub_module_folder, monkeypatch, no_download):
    monkeypatch.setenv("TL_COURSE_OFFLINE", "1")
    layer = hub_modules.HubModule(NAME, trainable=True)
    module = layer._module
    assert len(layer.trainable_weights) == len(module.trainable_variables) > 0
    assert len(layer.weights) == len(module.variables) > len(module.trainable_variables), "batch-norm statistics too"
    images = np.random.default_rng(0).random((2, 96, 96, 3)).astype("float32")  # any size, pixels in [0, 1]
    inputs = keras.Input((96, 96, 3))
    features = keras.Model(inputs, layer(inputs)).predict(images, verbose=0)
    assert features.shape == (2, hub_modules.get_module(NAME)["output_size"])
    np.testing.assert_allclose(features, module(images, training=False).numpy(), rtol=1e-5, atol=1e-6)
