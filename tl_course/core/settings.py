"""Environment settings shared by every lesson: quick mode, data and cache folders.

All settings are environment variables, so the same notebook runs in a
classroom, on Colab, under nbval and under nbgrader without edits:

| variable            | meaning                                              | default            |
|---------------------|------------------------------------------------------|--------------------|
| `TL_COURSE_QUICK`   | `1` runs every lesson on a small subset, few epochs  | `0`                |
| `TL_COURSE_DATA`    | a folder that already holds extracted datasets       | unset              |
| `TL_COURSE_CACHE`   | where embeddings and runs are cached                 | `~/.cache/tl_course` |
| `TL_COURSE_OFFLINE` | `1` never tries a download; missing files raise      | `0`                |
| `KERAS_HOME`        | Keras' cache (`models/` weights, `datasets/`)        | `~/.keras`         |

nbgrader sets `NBGRADER_EXECUTION` while it autogrades; quick mode is then on.
"""

import os
import sys
from pathlib import Path

__all__ = [
    "cache_dir",
    "data_dir",
    "keras_home",
    "missing_offline",
    "offline",
    "quick_mode",
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
