"""TF Hub modules under Keras 3: the model registry's handles, found offline, used as Keras layers.

Taught in `07_model_hubs`; lessons 08 and 09 use it too. The model registry lives in
`data/models.json` (installed as `tl_course._registry`); its TF Hub entries map a short name
to a handle and what the module expects. tensorflow_hub caches a handle in
`$TFHUB_CACHE_DIR/<SHA-1 of the exact handle text>/`; `resolve_module` looks there first and
downloads through `hub.resolve` only when the course is online.

`hub.KerasLayer` is a Keras 2 layer: a Keras 3 model refuses it. Inside Keras 3 models, use
`keras.layers.TFSMLayer(path, call_endpoint="serving_default")` for inference, or `HubModule`
below, whose variables Keras 3 trains.

Example:

>>> path = resolve_module("mobilenet_v2_035_224_hub")      # doctest: +SKIP
>>> features = HubModule("mobilenet_v2_035_224_hub")        # doctest: +SKIP
"""

import hashlib
import inspect
import json
from importlib import resources
from pathlib import Path

import keras

from tl_course.core import settings

__all__ = ["HubModule", "cache_folder", "download", "get_module", "module_status", "registry", "resolve_module"]

_SAVED_MODEL = "saved_model.pb"
_COMPRESSED = "?tf-hub-format=compressed"  # what tensorflow_hub's resolver asks an https handle for


def _hub():
    """Import tensorflow_hub (and TensorFlow) only when a module is downloaded or loaded."""
    import tensorflow_hub

    return tensorflow_hub


def registry():
    """Return the TF Hub entries of the model registry: `{name: entry}` with handle, input_range, image_size, ..."""
    text = resources.files("tl_course._registry").joinpath("models.json").read_text()
    return {name: entry for name, entry in json.loads(text).items() if entry.get("source") == "tfhub"}


def get_module(name):
    """Return the registry entry of the TF Hub module `name`.

    Raises:
        ValueError: `name` is not registered; the message lists the known names.
    """
    entries = registry()
    if name not in entries:
        raise ValueError(f"Unknown TF Hub module: expected one of {', '.join(sorted(entries))}; received {name!r}.")
    return entries[name]


def _handle(name_or_handle):
    """Return `(handle, local folder or None)` for a registry name, a handle URL or a local SavedModel folder."""
    if not isinstance(name_or_handle, (str, Path)) or not str(name_or_handle).strip():
        raise ValueError(f"Expected a TF Hub module name or handle, e.g. 'mobilenet_v2_035_224_hub'; received {name_or_handle!r}.")
    text = str(name_or_handle)
    entries = registry()
    if text in entries:
        return entries[text]["handle"], None
    if "://" in text:
        return text, None
    if Path(text).expanduser().is_dir():
        return text, Path(text).expanduser()
    raise ValueError(f"Unknown TF Hub module: expected one of {', '.join(sorted(entries))}, a handle "
                     f"(https://...) or a folder holding {_SAVED_MODEL}; received {text!r}.")


def cache_folder(handle):
    """Return the folder tensorflow_hub caches `handle` in: `$TFHUB_CACHE_DIR/<SHA-1 of the handle>/`.

    The name is the SHA-1 of the exact handle text, so another spelling of the same model (a
    tfhub.dev URL, a trailing slash) is another folder. Nothing is created.

    Args:
        handle: a handle URL, or a registry name (its handle is used).

    Returns:
        `pathlib.Path`, which may not exist.
    """
    handle, entries = str(handle), registry()
    handle = entries[handle]["handle"] if handle in entries else handle
    return settings.tfhub_cache_dir() / hashlib.sha1(handle.encode("utf8")).hexdigest()


def module_status(name):
    """Return `(folder or None, note)` for `tl-course doctor`: where `name` is cached, if it is.

    Args:
        name: a registry name or a handle.
    """
    handle, _ = _handle(name)
    folder = cache_folder(handle)
    if (folder / _SAVED_MODEL).is_file():
        return folder, f"cached in {folder}"
    return None, f"missing: expected {folder}/ holding {_SAVED_MODEL} (handle {handle})"


def resolve_module(name_or_handle, allow_download=None):
    """Return the local folder of a TF Hub module's SavedModel, offline-first.

    Order: a local SavedModel folder given as is; the cache folder of the handle
    (`cache_folder`), used with no network call when it holds `saved_model.pb`; else a
    download through `hub.resolve` into that folder.

    Args:
        name_or_handle: a registry name (e.g. `"mobilenet_v2_035_224_hub"`), a handle URL, or a
            folder holding `saved_model.pb`.
        allow_download: False never downloads; None follows `TL_COURSE_OFFLINE`.

    Returns:
        `pathlib.Path` of the folder holding `saved_model.pb`.

    Raises:
        ValueError: an unknown name; the message lists the registry's names.
        FileNotFoundError: the module is not cached and may not (or could not) be downloaded;
            the message names the folder `<TFHUB_CACHE_DIR>/<sha1>/` and the handle.
    """
    handle, local = _handle(name_or_handle)
    if local is not None:
        if not (local / _SAVED_MODEL).is_file():
            raise FileNotFoundError(f"Expected a SavedModel folder holding {_SAVED_MODEL}; received {local}, which holds "
                                    f"{sorted(p.name for p in local.iterdir()) or 'nothing'}.")
        return local
    folder = cache_folder(handle)
    if (folder / _SAVED_MODEL).is_file():
        return folder
    if allow_download is None:
        allow_download = not settings.offline()
    if not allow_download:
        raise _missing(handle, folder)
    try:
        return download(handle)
    except Exception as error:  # tensorflow_hub reports network failures as URLError, OSError, ...
        raise _missing(handle, folder) from error


def download(name_or_handle):
    """Download a module into TF Hub's cache with `hub.resolve` (a cached one is not downloaded again).

    Returns:
        `pathlib.Path` of its cache folder.
    """
    handle, _ = _handle(name_or_handle)
    return Path(_hub().resolve(handle))


def _missing(handle, folder):
    stale = f" (it exists but holds no {_SAVED_MODEL}: delete it)" if folder.is_dir() else ""
    url = handle + _COMPRESSED if handle.startswith(("http://", "https://")) else handle
    return settings.missing_offline(
        f"The TF Hub module {handle}", f"a folder {folder}/ holding {_SAVED_MODEL}{stale}", url,
        f"extract the archive into {folder}/ (the folder is named after the SHA-1 of the handle), "
        f"or point TFHUB_CACHE_DIR at a cache whose {folder.name}/ holds it",
    )


def _module_variables(module):
    """Return `(trainable, all)` tf.Variables of a loaded SavedModel, as TF Hub's interface lists them.

    A reusable SavedModel lists `variables` and `trainable_variables`; any other `__call__` gives
    the variables its traced functions use.
    """
    if hasattr(module, "variables"):
        return list(getattr(module, "trainable_variables", [])), list(module.variables)
    functions = getattr(module.__call__, "concrete_functions", [])
    trainable = {id(v): v for fn in functions for v in fn.trainable_variables}
    return list(trainable.values()), list({id(v): v for fn in functions for v in fn.variables}.values())


@keras.saving.register_keras_serializable(package="tl_course")
class HubModule(keras.layers.Layer):
    """Run a TF Hub module (a TF2 SavedModel with `__call__`) as a Keras 3 layer whose variables train.

    The module is loaded with `hub.load` from `resolve_module(handle)`, offline-first. Its
    variables are the layer's weights: with `trainable=True` its trainable variables are in
    `model.trainable_weights` and `fit` updates them; frozen, none is. When the module's
    `__call__` takes `training`, the layer passes `training` through while it is trainable and
    `False` while it is frozen, as Keras' BatchNormalization does: a frozen module's
    batch-norm statistics do not move. TensorFlow backend only (a SavedModel is TensorFlow).

    Args:
        handle: a registry name (e.g. `"mobilenet_v2_035_224_hub"`), a handle URL, or a local
            folder holding `saved_model.pb`.
        trainable: whether `fit` trains the module's variables (default False, as `hub.KerasLayer`).
        batch_norm_training: False keeps the module in inference mode (`training=False`: its
            BatchNormalization statistics frozen, dropout off) even while its weights train, as
            `02_fine_tuning` recommends for small batches.
        **kwargs: `keras.layers.Layer` arguments (`name`, ...). `dtype` defaults to `"float32"`:
            a module's traced functions take float32, also under a mixed-precision policy.

    Input and output: what the module takes and returns, e.g. for an image feature vector
    float32 `(batch, height, width, 3)` in [0, 1] -> `(batch, features)`.

    Raises:
        ValueError: an unknown name, or a SavedModel without a traced `__call__` (for a
            signature, use `keras.layers.TFSMLayer`).
        FileNotFoundError: the module is neither cached nor downloadable (see `resolve_module`).
        NotImplementedError: Keras runs on another backend than TensorFlow.

    Example:

    >>> inputs = keras.Input((160, 160, 3))  # pixels in [0, 1]          # doctest: +SKIP
    >>> features = HubModule("mobilenet_v2_035_224_hub")(inputs)        # doctest: +SKIP
    >>> features.shape                                                  # doctest: +SKIP
    (None, 1280)
    """

    def __init__(self, handle, trainable=False, batch_norm_training=True, **kwargs):
        if keras.config.backend() != "tensorflow":
            raise NotImplementedError(f"HubModule runs a TensorFlow SavedModel: expected the TensorFlow backend; "
                                      f"received {keras.config.backend()!r}. Set KERAS_BACKEND=tensorflow before `import keras`.")
        kwargs.setdefault("dtype", "float32")
        super().__init__(trainable=trainable, **kwargs)
        self.handle, self.batch_norm_training = str(handle), bool(batch_norm_training)
        self._module = _hub().load(str(resolve_module(handle)))
        if not hasattr(getattr(self._module, "__call__", None), "concrete_functions"):
            raise ValueError(f"Expected a SavedModel with a traced `__call__` (TF Hub's reusable interface); received "
                             f"{self.handle!r} without one: use keras.layers.TFSMLayer(path, call_endpoint=...).")
        self._takes_training = "training" in _parameters(self._module.__call__)
        trainable_variables, variables = _module_variables(self._module)
        trainable_ids = {id(v) for v in trainable_variables}
        # keras.Variable(tf_variable) shares the module's variable (TF backend); a list attribute is tracked.
        self.module_weights = [
            keras.Variable(v, trainable=id(v) in trainable_ids, name=v.name.split(":")[0].replace("/", "_"))
            for v in variables
        ]
        if not self.trainable:  # as Layer._track_variable does; `self.trainable = False` again is a no-op on TF
            for weight in self.module_weights:
                weight.trainable = False
        self.built = True

    def call(self, inputs, training=None):
        if self._takes_training:
            return self._module(inputs, training=bool(training) and self.trainable and self.batch_norm_training)
        return self._module(inputs)

    def get_config(self):
        return {**super().get_config(), "handle": self.handle, "batch_norm_training": self.batch_norm_training}


def _parameters(function):
    try:
        return inspect.signature(function).parameters
    except (TypeError, ValueError):
        return {}
