"""Dataset registry: find a dataset offline, or download it once.

The registry lives in `data/registry.json` (installed as
`tl_course._registry`); each entry gives the official URL, its SHA-256 (null
where the publisher gives none), and the folder the archive extracts to.
Lessons call `dataset_path("flower_photos")` and then `images.scan_image_folder(...)`.
Taught in `00_setup`; used by every lesson.
"""

import json
from importlib import resources
from pathlib import Path

from tl_course.core import settings

__all__ = ["dataset_path", "dataset_status", "download", "registry"]


def registry():
    """Return the dataset registry: `{name: entry}` with url, sha256, folder, ..."""
    text = resources.files("tl_course._registry").joinpath("registry.json").read_text()
    return json.loads(text)


def _entry(name):
    entries = registry()
    if name not in entries:
        raise ValueError(
            f"Unknown dataset: expected one of {', '.join(sorted(entries))}; received {name!r}."
        )
    return entries[name]


def _candidates(name):
    entry = _entry(name)
    found = []
    if settings.data_dir() is not None:
        found.append(settings.data_dir() / entry["folder"])
    found.append(settings.keras_home() / "datasets" / entry["folder"] / entry.get("inner", ""))
    return found


def dataset_status(name):
    """Return `(path or None, note)`: where `name` is found offline, if anywhere."""
    for path in _candidates(name):
        if path.is_dir():
            return path, f"found at {path}"
    return None, "not found offline"


def dataset_path(name, allow_download=None):
    """Return the folder of an extracted dataset, downloading it if needed.

    Args:
        name: registry key, e.g. `"flower_photos"`.
        allow_download: False never downloads; None follows `TL_COURSE_OFFLINE`.

    Returns:
        `pathlib.Path` of the dataset's folder (the class folders, or a text dataset's files).

    Raises:
        ValueError: unknown `name`.
        FileNotFoundError: the dataset is not found offline and may not be
            downloaded; the message says which folder to create where.
    """
    path, _ = dataset_status(name)
    if path is not None:
        return path
    if allow_download is None:
        allow_download = not settings.offline()
    entry = _entry(name)
    if not allow_download:
        raise _missing(name, entry)
    try:
        return download(name)
    except Exception as error:  # get_file reports network failures as bare Exception
        raise _missing(name, entry) from error


def download(name):
    """Download and extract `name` into `$KERAS_HOME/datasets`, checking its SHA-256.

    An entry whose `sha256` is null (its publisher gives no checksum, e.g.
    `sentiment_labelled_sentences`) is extracted unchecked; its `note` says so.

    Returns:
        `pathlib.Path` of the extracted folder (the class folders, or a text dataset's files).
    """
    import keras

    entry = _entry(name)
    extracted = keras.utils.get_file(
        fname=entry["folder"],
        origin=entry["url"],
        file_hash=entry.get("sha256"),  # None: no checksum published, none checked
        extract=True,
        cache_subdir="datasets",
    )
    return Path(extracted) / entry.get("inner", "")


def _missing(name, entry):
    where = settings.data_dir()
    target = where / entry["folder"] if where else "$TL_COURSE_DATA/" + entry["folder"]
    if where is not None and where.name == entry["folder"] and where.is_dir():
        return FileNotFoundError(
            f"TL_COURSE_DATA points at the dataset folder itself ({where}); expected its parent "
            f"folder, which holds {entry['folder']}/. Set TL_COURSE_DATA={where.parent}."
        )
    inner = entry.get("inner") or entry["folder"]
    place = (f"put its {inner}/ folder" if inner == entry["folder"]
             else f"put its {inner}/ folder, renamed {entry['folder']}/,")
    other = settings.keras_home() / "datasets" / entry["folder"] / entry.get("inner", "")
    return settings.missing_offline(
        f"Dataset {name!r}", f"a folder {target} (or {other})", entry["url"],
        f"extract it, {place} inside a folder of your choice and set TL_COURSE_DATA to that folder",
    )
