"""Shared test set-up: unit tests run first, the notebook runs last."""

import numpy as np
import pytest


def pytest_collection_modifyitems(items):
    """Run the slow browser, notebook and grading tests after every unit test."""
    last = ("test_browser.py", "test_notebooks.py", "test_grading.py")
    items.sort(key=lambda item: item.fspath.basename in last)


@pytest.fixture(autouse=True)
def _seeded():
    """Seed Python, NumPy and the backend before every test: random-init models are reproducible."""
    import keras

    keras.utils.set_random_seed(0)


@pytest.fixture(autouse=True)
def _fresh_course_cache(tmp_path_factory, monkeypatch):
    """Give each test its own course cache, so tests never share state."""
    monkeypatch.setenv("TL_COURSE_CACHE", str(tmp_path_factory.mktemp("tl_cache")))


def _assets():
    """Return (flowers folder, weights ok) from the current environment."""
    from tl_course.core import backbones, datasets

    path, _ = datasets.dataset_status("flower_photos")
    weights_ok = backbones.weights_status("mobilenet_v2", 160)[0]
    return path, weights_ok


@pytest.fixture
def flowers():
    """The flower photos folder (skips only where neither TL_COURSE_DATA nor the Keras cache holds it)."""
    path, _ = _assets()
    if path is None:
        pytest.skip("flower_photos not found offline: set TL_COURSE_DATA (see README)")
    return path


@pytest.fixture
def imagenet_weights():
    """Skip where the cached MobileNetV2 0.35 weights are missing (see README)."""
    if not _assets()[1]:
        pytest.skip("MobileNetV2 alpha=0.35 weights not in $KERAS_HOME/models (see README)")


@pytest.fixture
def hub_module_folder():
    """The cached TF Hub MobileNetV2 0.35 module's folder (skips where $TFHUB_CACHE_DIR lacks it; see README)."""
    from tl_course.core import hub_modules

    folder, note = hub_modules.module_status("mobilenet_v2_035_224_hub")
    if folder is None:
        pytest.skip(f"TF Hub module mobilenet_v2_035_224_hub not cached offline ({note}): set TFHUB_CACHE_DIR (see .ci/run)")
    return folder


@pytest.fixture
def minilm_checkpoint():
    """The all-MiniLM-L6-v2 checkpoint's folder (skips where neither $TL_COURSE_MODELS nor $KERAS_HOME/models holds it)."""
    from tl_course.core import checkpoints

    folder, note = checkpoints.checkpoint_status("all_minilm_l6_v2")
    if folder is None:
        pytest.skip(f"checkpoint all_minilm_l6_v2 not found offline ({note}): set TL_COURSE_MODELS (see .ci/run)")
    return folder


def make_image(path, mode="RGB", size=(24, 20), fmt=None, color=None):
    """Write a real image file and return its path."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    color = color if color is not None else {"RGB": (200, 30, 40), "L": 120, "RGBA": (0, 0, 255, 128),
                                             "CMYK": (0, 255, 255, 0), "P": 3}[mode]
    Image.new(mode, size, color).save(path, format=fmt)
    return path


@pytest.fixture
def blobs():
    """Return a maker of labelled Gaussian blobs around orthogonal centres: embeddings a linear head separates well.

    `blobs(n_per_class, seed, spread=0.6, dim=8, classes=3)` -> `(x, y)`.
    """
    def make(n_per_class, seed, spread=0.6, dim=8, classes=3):
        rng = np.random.default_rng(seed)
        centres = np.eye(dim)[:classes] * 3
        y = np.repeat(np.arange(classes), n_per_class)
        return centres[y] + rng.normal(0, spread, (len(y), dim)), y

    return make
