"""Taught in 00_setup: what is installed, cached and missing (`tl-course doctor` and `tl-course download`)."""

import platform
import warnings
from importlib import metadata

from tl_course.core import backbones, checkpoints, datasets, device, hub_modules, settings
from tl_course.core.manifest import LESSONS

__all__ = ["TESTED_VERSIONS", "VersionWarning", "check_versions", "download_all", "lesson_readiness", "report",
           "version_differences"]

_PACKAGES = ("tensorflow", "keras", "tensorflow-hub", "keras-hub", "numpy", "jupyterlab", "nbval", "nbgrader")

# The versions the lessons were tested on: pyproject.toml's pins (tests/lessons/test_setup.py keeps them equal).
# Colab installs the course without its dependencies, on top of Colab's own TensorFlow and Keras.
TESTED_VERSIONS = {"tensorflow": "2.21.0", "keras": "3.15.1", "tensorflow-hub": "0.16.1", "keras-hub": "0.32.0"}


class VersionWarning(UserWarning):
    """An installed package's version differs from the one the course was tested on."""


def _version(package):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def version_differences(installed=None):
    """Return `[(package, installed, tested)]` for each package of `TESTED_VERSIONS` whose version differs.

    Args:
        installed: `{package: version}` to compare; None reads the installed versions (a missing
            package is `"not installed"`).
    """
    installed = {p: _version(p) for p in TESTED_VERSIONS} if installed is None else installed
    found = [(p, installed.get(p, "not installed"), tested) for p, tested in TESTED_VERSIONS.items()]
    return [(p, have, tested) for p, have, tested in found if have != tested]


def check_versions(installed=None):
    """Warn (`VersionWarning`) for each package whose version differs from the tested one; return the differences.

    Each warning names the package, the installed version and the tested one. Equal versions warn nothing.

    Args:
        installed: as for `version_differences`.

    Returns:
        `version_differences(installed)`: empty when every version is the tested one.
    """
    differences = version_differences(installed)
    for package, have, tested in differences:
        warnings.warn(f"{package} {have} is installed, but the course was tested on {package} {tested}: "
                      "a lesson may print other numbers, warn, or fail. On Colab this is Colab's own version; "
                      "elsewhere, install the course's pins (`make lab`, or `pip install -e .`).",
                      VersionWarning, stacklevel=2)
    return differences


def _needed_weights():
    return sorted({need for lesson in LESSONS for need in lesson.weights})


def _needed_datasets(optional=False):
    return sorted({name for lesson in LESSONS for name in lesson.datasets + (lesson.optional_datasets if optional else ())})


def _needed_hub_modules():
    return sorted({name for lesson in LESSONS for name in lesson.hub_modules})


def _needed_checkpoints():
    return sorted({name for lesson in LESSONS for name in lesson.checkpoints})


def _missing_for(lesson):
    """Return what `lesson` needs and does not find offline, e.g. `["dataset flower_photos"]`."""
    weights = [f"weights {backbones.get_backbone(name).weights_file(size, include_top=top)}"
               for name, size, top in lesson.weights if not backbones.weights_status(name, size, include_top=top)[0]]
    data = [f"dataset {name}" for name in lesson.datasets if datasets.dataset_status(name)[0] is None]
    modules = [f"TF Hub module {name}" for name in lesson.hub_modules if hub_modules.module_status(name)[0] is None]
    found = [f"checkpoint {name}" for name in lesson.checkpoints if checkpoints.checkpoint_status(name)[0] is None]
    return weights + data + modules + found


def lesson_readiness():
    """Return `{lesson: [missing item, ...]}`; an empty list means it runs offline."""
    return {lesson.name: _missing_for(lesson) for lesson in LESSONS}


def report(gpus=None):
    """Return the doctor's report as text.

    Args:
        gpus: GPU list as from `device.detect_gpus` (None detects them).
    """
    gpus = device.detect_gpus() if gpus is None else gpus
    lines = [f"python {platform.python_version()}"]
    tested = {p: t for p, _, t in version_differences()}
    lines += [f"{p} {_version(p)}" + (f" (the course was tested on {tested[p]})" if p in tested else "") for p in _PACKAGES]
    lines.append(device.plan_device(gpus).summary)
    lines.append(f"KERAS_HOME       {settings.keras_home()}")
    lines.append(f"TL_COURSE_DATA   {settings.data_dir() or '(unset)'}")
    lines.append(f"TL_COURSE_MODELS {settings.models_dir() or '(unset)'}")
    lines.append(f"TL_COURSE_CACHE  {settings.cache_dir()}")
    lines.append(f"TFHUB_CACHE_DIR  {settings.tfhub_cache_dir()}")
    lines.append(f"mode             {'quick' if settings.quick_mode() else 'full'}, downloads {'off' if settings.offline() else 'on'}")
    lines.append("weights:")
    for name, size, top in _needed_weights():
        ok, note = backbones.weights_status(name, size, include_top=top)
        lines.append(f"  [{'ok' if ok else '--'}] {name} {size}px{' with top' if top else ''}: {note}")
    lines.append("datasets:")
    required = _needed_datasets()
    for name in _needed_datasets(optional=True):
        path, note = datasets.dataset_status(name)
        lines.append(f"  [{'ok' if path else '--'}] {name}: {note}" + ("" if name in required else " (optional)"))
    needed_modules = _needed_hub_modules()
    lines += ["TF Hub modules:"] if needed_modules else []
    for name in needed_modules:
        folder, note = hub_modules.module_status(name)
        lines.append(f"  [{'ok' if folder else '--'}] {name}: {note}")
    needed_checkpoints = _needed_checkpoints()
    lines += ["Hugging Face checkpoints:"] if needed_checkpoints else []
    for name in needed_checkpoints:
        folder, note = checkpoints.checkpoint_status(name)
        lines.append(f"  [{'ok' if folder else '--'}] {name}: {note}")
    lines.append("lessons offline:")
    for lesson, missing in lesson_readiness().items():
        lines.append(f"  [{'ok' if not missing else '--'}] {lesson}" + (f": needs {', '.join(missing)}" if missing else ""))
    return "\n".join(lines)


def download_all():
    """Fetch every weight file, dataset, TF Hub module and Hugging Face checkpoint the lessons need.

    Weights and datasets go to the Keras cache, modules to TF Hub's, checkpoints to
    `$TL_COURSE_MODELS` (else `$KERAS_HOME/models`).

    Returns:
        list of `(item, status)`, status `"cached"`, `"downloaded"` or an error message.
    """
    import keras

    results = []
    for name, size, top in _needed_weights():
        spec = backbones.get_backbone(name)
        fname = spec.weights_file(size, include_top=top)
        results.append(_fetch(fname, backbones.weights_status(name, size, include_top=top)[0],
                              lambda: keras.utils.get_file(fname, spec.url_base + fname, cache_subdir="models")))
    for name in _needed_datasets(optional=True):
        results.append(_fetch(name, datasets.dataset_status(name)[0] is not None, lambda: datasets.download(name)))
    for name in _needed_hub_modules():
        results.append(_fetch(name, hub_modules.module_status(name)[0] is not None, lambda: hub_modules.download(name)))
    for name in _needed_checkpoints():
        results.append(_fetch(name, checkpoints.checkpoint_status(name)[0] is not None, lambda: checkpoints.download(name)))
    return results


def _fetch(item, cached, fetch):
    """Return `(item, status)`: "cached", "downloaded" after `fetch()`, or "failed: ..." (the others still run)."""
    if cached:
        return item, "cached"
    try:
        fetch()
        return item, "downloaded"
    except Exception as error:  # noqa: BLE001 - report and go on with the rest
        return item, f"failed: {error}"
