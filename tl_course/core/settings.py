"""Environment settings shared by every lesson: quick mode, data, model and cache folders.

All settings are environment variables, so the same notebook runs in a
classroom, on Colab, under nbval and under nbgrader without edits:

| variable            | meaning                                              | default            |
|---------------------|------------------------------------------------------|--------------------|
| `TL_COURSE_QUICK`   | `1` runs every lesson on a small subset, few epochs  | `0`                |
| `TL_COURSE_DATA`    | a folder that already holds extracted datasets       | unset              |
| `TL_COURSE_MODELS`  | a folder that already holds model checkpoints (`all-MiniLM-L6-v2/`) | unset |
| `TL_COURSE_CACHE`   | where embeddings and runs are cached                 | `~/.cache/tl_course` |
| `TL_COURSE_OFFLINE` | `1` never tries a download; missing files raise      | `0`                |
| `KERAS_HOME`        | Keras' cache (`models/` weights, `datasets/`)        | `~/.keras`         |
| `TFHUB_CACHE_DIR`   | TF Hub's cache of downloaded modules                 | `<temp>/tfhub_modules` (TF Hub's own) |

nbgrader sets `NBGRADER_EXECUTION` while it autogrades; quick mode is then on.

`keep_caches_in(folder)` sets `TL_COURSE_CACHE`, `KERAS_HOME` and `TFHUB_CACHE_DIR` to folders under
one `folder`: on Colab, a folder on Google Drive keeps the downloads and caches that the runtime
would otherwise lose.
"""

import os
import sys
import tempfile
from pathlib import Path

__all__ = [
    "cache_dir",
    "data_dir",
    "keep_caches_in",
    "keras_home",
    "missing_offline",
    "models_dir",
    "offline",
    "quick_mode",
    "tfhub_cache_dir",
]

_TRUE = {"1", "true", "yes", "on"}


def _flag(name):
    return os.environ.get(name, "").strip().lower() in _TRUE


def quick_mode():
    """Return True when lessons should run in quick mode.

    Quick mode is on when `TL_COURSE_QUICK` is truthy (`1`, `true`, `yes`,
    `on`) or when nbgrader is executing the notebook (`NBGRADER_EXECUTION`).
    """
    return _flag("TL_COURSE_QUICK") or bool(os.environ.get("NBGRADER_EXECUTION"))


def offline():
    """Return True when `TL_COURSE_OFFLINE` forbids downloads."""
    return _flag("TL_COURSE_OFFLINE")


def data_dir():
    """Return the folder named by `TL_COURSE_DATA`, or None when unset."""
    value = os.environ.get("TL_COURSE_DATA")
    return Path(value).expanduser() if value else None


def models_dir():
    """Return the folder named by `TL_COURSE_MODELS`, or None when unset.

    The folder already holds model checkpoints, one folder each, e.g. `all-MiniLM-L6-v2/` with its
    `config.json` and `model.safetensors` (`checkpoints.checkpoint_path` looks there first).
    """
    value = os.environ.get("TL_COURSE_MODELS")
    return Path(value).expanduser() if value else None


def keras_home():
    """Return Keras' cache folder, resolved the way Keras 3 resolves it.

    Keras reads `KERAS_HOME` once, when it is first imported, so set the
    variable before `import keras`.
    """
    if "keras" in sys.modules:  # Keras has fixed its folder at import time.
        from keras.src.backend.config import keras_home as _keras_home

        return Path(_keras_home()).expanduser()
    value = os.environ.get("KERAS_HOME")
    if value:
        return Path(value).expanduser()
    base = Path("~").expanduser()
    if not os.access(base, os.W_OK):
        base = Path("/tmp")
    return base / ".keras"


def tfhub_cache_dir():
    """Return TF Hub's download cache folder, resolved the way tensorflow_hub 0.16 resolves it.

    `TFHUB_CACHE_DIR` when set and not empty, used as given (tensorflow_hub expands no `~`);
    else tensorflow_hub's own default, `tfhub_modules` in the system's temporary folder
    (`tempfile.gettempdir()`, e.g. `/tmp/tfhub_modules`). tensorflow_hub reads the variable at
    each download, so, unlike `KERAS_HOME`, it may be set after `import tensorflow_hub`.
    Nothing is created: the folder may not exist yet.

    Returns:
        `pathlib.Path` of the folder that holds one `<sha1 of the handle>/` folder per module.
    """
    value = os.environ.get("TFHUB_CACHE_DIR")
    return Path(value) if value else Path(tempfile.gettempdir()) / "tfhub_modules"


def cache_dir(*parts):
    """Return (and create) a folder under the course cache.

    Args:
        *parts: path components below the cache root, e.g. `"embeddings"`.

    Returns:
        `pathlib.Path` of an existing folder.
    """
    root = os.environ.get("TL_COURSE_CACHE") or "~/.cache/tl_course"
    path = Path(root).expanduser().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def missing_offline(what, expected, url, how):
    """Return the one error the course raises for a file it needs and cannot find offline.

    Args:
        what: what is missing, e.g. `"Dataset 'flower_photos'"`.
        expected: what was looked for and where, e.g. `"a folder /data/flower_photos"`.
        url: where the file is downloaded from.
        how: what to do with the download, e.g. `"put it in ~/.keras/models"`.

    Returns:
        `FileNotFoundError`, for the caller to raise.
    """
    return FileNotFoundError(
        f"{what} is not available offline: expected {expected}; received none. "
        f"On a machine with internet, download {url}, {how} (or run `tl-course download` there)."
    )


_COLAB_DRIVE = Path("/content/drive")  # where Colab mounts Google Drive
_CACHE_VARIABLES = {"TL_COURSE_CACHE": "cache", "KERAS_HOME": "keras", "TFHUB_CACHE_DIR": "tfhub"}


def keep_caches_in(folder):
    """Keep the course's cache, Keras' cache (weights, downloaded datasets) and TF Hub's cache under `folder`.

    Colab loses `~/.cache/tl_course`, `~/.keras` and every download with its runtime; a folder on
    Google Drive keeps them for the next session. Call this once, in a notebook's first cell,
    before `import keras`: Keras fixes its folder when it is imported. A folder under
    `/content/drive` mounts Google Drive first when it is not mounted (Colab asks for permission).

    Sets `TL_COURSE_CACHE` to `folder/cache`, `KERAS_HOME` to `folder/keras` and `TFHUB_CACHE_DIR`
    to `folder/tfhub` in this process's environment (processes it starts inherit them).
    `TL_COURSE_DATA` and `TL_COURSE_MODELS`, when set, are still looked in first for datasets and
    checkpoints; a downloaded checkpoint goes to `folder/keras/models/`.

    Args:
        folder: a path, e.g. `"/content/drive/MyDrive/tl_course"`; created if missing.

    Returns:
        `{variable: pathlib.Path}` of the three folders, which exist.

    Raises:
        ValueError: `folder` is empty.
        RuntimeError: Keras is already imported with another folder; restart the runtime and call
            this first.

    Example:

    >>> settings.keep_caches_in("/content/drive/MyDrive/tl_course")  # doctest: +SKIP
    """
    if not str(folder or "").strip():
        raise ValueError(f"expected a folder to keep the caches in, e.g. '/content/drive/MyDrive/tl_course'; received {folder!r}")
    folder = Path(folder).expanduser()
    if folder.is_relative_to(_COLAB_DRIVE) and "google.colab" in sys.modules and not os.path.ismount(_COLAB_DRIVE):
        from google.colab import drive

        drive.mount(str(_COLAB_DRIVE))
    paths = {name: folder / sub for name, sub in _CACHE_VARIABLES.items()}
    if "keras" in sys.modules and Path(keras_home()).resolve() != paths["KERAS_HOME"].resolve():
        raise RuntimeError(f"expected keep_caches_in before `import keras`, received Keras already using {keras_home()}: "
                           "restart the runtime (Colab: Runtime > Restart session) and run the first cell before any other")
    for name, path in paths.items():
        path.mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(path)
    return paths
