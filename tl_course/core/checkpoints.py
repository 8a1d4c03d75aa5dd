"""Hugging Face checkpoints of the model registry, found offline, downloaded once when online.

Taught in `08_text_transfer`; lesson 09 uses it too. The model registry lives in
`data/models.json` (installed as `tl_course._registry`); its `"source": "huggingface"` entries map a
short name to a Hub repository (`handle`, `hf://owner/name`) and the `folder` its files go in. A
checkpoint is a folder holding at least `config.json` and `model.safetensors`, as the Hub serves it;
keras-hub loads it as is (`keras_hub.models.BertBackbone.from_preset(folder)`).

Where a checkpoint is looked for, first match wins:

1. `$TL_COURSE_MODELS/<folder>/`: a folder you filled yourself (a classroom copy, the offline assets).
2. `$KERAS_HOME/models/<folder>/`: where `download` put it earlier.
3. A download from the Hugging Face Hub (`huggingface_hub.snapshot_download`), unless
   `TL_COURSE_OFFLINE=1`.

Example:

>>> folder = checkpoint_path("all_minilm_l6_v2")                       # doctest: +SKIP
>>> backbone = keras_hub.models.BertBackbone.from_preset(str(folder))  # doctest: +SKIP
"""

import json
from importlib import resources
from pathlib import Path

from tl_course.core import settings

__all__ = ["checkpoint_path", "checkpoint_status", "download", "get_checkpoint", "registry"]

_REQUIRED = ("config.json", "model.safetensors")  # a folder without both is not a checkpoint
_TOKENIZER = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
_HF_PREFIX = "hf://"


def registry():
    """Return the Hugging Face entries of the model registry: `{name: entry}` with handle, folder, ..."""
    text = resources.files("tl_course._registry").joinpath("models.json").read_text()
    return {name: entry for name, entry in json.loads(text).items() if entry.get("source") == "huggingface"}


def get_checkpoint(name):
    """Return the registry entry of the Hugging Face checkpoint `name`.

    Raises:
        ValueError: `name` is not registered; the message lists the known names.
    """
    entries = registry()
    if name not in entries:
        raise ValueError(f"Unknown Hugging Face checkpoint: expected one of {', '.join(sorted(entries))}; "
                         f"received {name!r}.")
    return entries[name]


def _repo_id(entry):
    """Return the Hub repository of an entry, e.g. `"sentence-transformers/all-MiniLM-L6-v2"`."""
    return entry["handle"].removeprefix(_HF_PREFIX)


def _download_root():
    """Return the folder a download goes in: `$TL_COURSE_MODELS`, else `$KERAS_HOME/models`."""
    return settings.models_dir() or settings.keras_home() / "models"


def _candidates(entry):
    """Return the folders looked in, in order: `$TL_COURSE_MODELS/<folder>`, then `$KERAS_HOME/models/<folder>`."""
    found = [settings.models_dir() / entry["folder"]] if settings.models_dir() is not None else []
    return found + [settings.keras_home() / "models" / entry["folder"]]


def _lacking(folder):
    """Return the required files `folder` does not hold."""
    return [file for file in _REQUIRED if not (folder / file).is_file()]


def checkpoint_status(name):
    """Return `(folder or None, note)` for `tl-course doctor`: where `name` is found offline, if anywhere.

    A folder counts only when it holds both `config.json` and `model.safetensors`; one that lacks
    either (a copy cut short) is named in the note.

    Args:
        name: a registry name, e.g. `"all_minilm_l6_v2"`.

    Raises:
        ValueError: an unknown name.
    """
    entry = get_checkpoint(name)
    candidates = _candidates(entry)
    for folder in candidates:
        if folder.is_dir() and not _lacking(folder):
            return folder, f"found at {folder}"
    partial = [folder for folder in candidates if folder.is_dir()]
    if partial:
        return None, f"incomplete: {partial[0]}/ lacks {', '.join(_lacking(partial[0]))} (copy the whole folder again)"
    if _points_at_checkpoint(entry):
        return None, f"missing: TL_COURSE_MODELS names a checkpoint folder itself; set it to {settings.models_dir().parent}"
    return None, f"missing: expected {candidates[0]}/ holding {' and '.join(_REQUIRED)}"


def _points_at_checkpoint(entry):
    """Return True when `TL_COURSE_MODELS` names a checkpoint's folder instead of the folder that holds it."""
    where = settings.models_dir()
    if where is None or not where.is_dir() or (where / entry["folder"]).is_dir():
        return False
    return where.name == entry["folder"] or (where / _REQUIRED[0]).is_file()


def checkpoint_path(name, allow_download=None):
    """Return the local folder of a Hugging Face checkpoint, offline-first.

    Args:
        name: a registry name, e.g. `"all_minilm_l6_v2"`.
        allow_download: False never downloads; None follows `TL_COURSE_OFFLINE`.

    Returns:
        `pathlib.Path` of the folder holding `config.json`, `model.safetensors` and the tokenizer's files.

    Raises:
        ValueError: an unknown name; the message lists the registry's names.
        FileNotFoundError: the checkpoint is not found offline and may not (or could not) be
            downloaded; the message names the folder to fill, the files it needs and the Hub page.
            Also when `TL_COURSE_MODELS` names the checkpoint's folder itself instead of its parent.
    """
    entry = get_checkpoint(name)
    folder, _ = checkpoint_status(name)
    if folder is not None:
        return folder
    if allow_download is None:
        allow_download = not settings.offline()
    if not allow_download:
        raise _missing(name, entry)
    try:
        return download(name)
    except Exception as error:  # huggingface_hub reports network failures as many types
        raise _missing(name, entry) from error


def download(name):
    """Download a checkpoint from the Hugging Face Hub into `$TL_COURSE_MODELS/<folder>/` (else `$KERAS_HOME/models/<folder>/`).

    Files already there are not downloaded again. Needs `huggingface_hub` (installed with keras-hub).

    Returns:
        `pathlib.Path` of the checkpoint's folder.
    """
    from huggingface_hub import snapshot_download

    entry = get_checkpoint(name)
    folder = _download_root() / entry["folder"]
    snapshot_download(repo_id=_repo_id(entry), local_dir=str(folder))
    return folder


def _missing(name, entry):
    where = settings.models_dir()
    if _points_at_checkpoint(entry):
        return FileNotFoundError(
            f"TL_COURSE_MODELS points at a checkpoint folder itself ({where}); expected its parent folder, "
            f"which holds {entry['folder']}/. Set TL_COURSE_MODELS={where.parent} (the folder must be named {entry['folder']}/)."
        )
    target = where / entry["folder"] if where is not None else f"$TL_COURSE_MODELS/{entry['folder']}"
    other = settings.keras_home() / "models" / entry["folder"]
    _, note = checkpoint_status(name)
    stale = f" ({note})" if note.startswith("incomplete") else ""
    return settings.missing_offline(
        f"The Hugging Face checkpoint {name!r} ({_repo_id(entry)})",
        f"a folder {target}/ (or {other}/) holding {' and '.join(_REQUIRED)}{stale}",
        f"https://huggingface.co/{_repo_id(entry)}",
        f"put its files ({', '.join(_REQUIRED + _TOKENIZER)}) in a folder named {entry['folder']}/ inside a folder "
        f"of your choice and set TL_COURSE_MODELS to that folder, or put them in {other}/",
    )
