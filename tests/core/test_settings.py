"""Settings from the environment."""

import pytest

from tl_course.core import settings


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_quick_mode_from_environment(monkeypatch, value, expected):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("TL_COURSE_QUICK", value)
    assert settings.quick_mode() is expected


def test_nbgrader_execution_means_quick(monkeypatch):
    monkeypatch.setenv("TL_COURSE_QUICK", "0")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert settings.quick_mode()


def test_folders(monkeypatch, tmp_path):
    monkeypatch.setenv("TL_COURSE_CACHE", str(tmp_path / "c"))
    assert settings.cache_dir("a", "b") == tmp_path / "c" / "a" / "b" and (tmp_path / "c" / "a" / "b").is_dir()
    monkeypatch.delenv("TL_COURSE_DATA", raising=False)
    assert settings.data_dir() is None
    monkeypatch.setenv("TL_COURSE_DATA", str(tmp_path))
    assert settings.data_dir() == tmp_path


_CACHES = ("TL_COURSE_CACHE", "KERAS_HOME", "TFHUB_CACHE_DIR")


@pytest.fixture
def restore_caches(monkeypatch):
    """Let `keep_caches_in` change the environment: monkeypatch restores the three variables afterwards."""
    for name in _CACHES:
        monkeypatch.setenv(name, "set-by-the-test")


def test_keep_caches_in_moves_every_cache_under_one_folder(tmp_path, monkeypatch, restore_caches):
    import sys

    monkeypatch.delitem(sys.modules, "keras")  # as in a notebook's first cell, before `import keras`
    paths = settings.keep_caches_in(tmp_path / "drive")
    assert paths == {"TL_COURSE_CACHE": tmp_path / "drive" / "cache", "KERAS_HOME": tmp_path / "drive" / "keras",
                     "TFHUB_CACHE_DIR": tmp_path / "drive" / "tfhub"}
    assert all(path.is_dir() for path in paths.values())
    assert settings.cache_dir("embeddings") == tmp_path / "drive" / "cache" / "embeddings"
    assert settings.keras_home() == tmp_path / "drive" / "keras"


def test_keras_and_tf_hub_download_into_the_folder(tmp_path):
    """In a fresh Python, as on Colab: the call, then `import keras` and TF Hub use the folder."""
    import os
    import subprocess
    import sys

    code = ("import sys; from tl_course.core import settings; settings.keep_caches_in(sys.argv[1]); "
            "import keras; from keras.src.backend import config; from tensorflow_hub import resolver; "
            "print(config.keras_home()); print(resolver.tfhub_cache_dir()); print(settings.cache_dir())")
    env = {k: v for k, v in os.environ.items() if k not in _CACHES}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [str(tmp_path / "keras"), str(tmp_path / "tfhub"), str(tmp_path / "cache")]


def test_keep_caches_in_mounts_google_drive_on_colab(tmp_path, monkeypatch, restore_caches):
    import sys
    import types

    mounted = []
    drive = types.SimpleNamespace(mount=mounted.append)
    monkeypatch.setitem(sys.modules, "google.colab", types.SimpleNamespace(drive=drive))
    monkeypatch.setattr(settings, "_COLAB_DRIVE", tmp_path / "content" / "drive")
    monkeypatch.delitem(sys.modules, "keras")
    settings.keep_caches_in(tmp_path / "content" / "drive" / "MyDrive" / "tl_course")
    assert mounted == [str(tmp_path / "content" / "drive")]
    settings.keep_caches_in(tmp_path / "elsewhere")
    assert len(mounted) == 1, "a folder outside Drive mounts nothing"


def test_keep_caches_in_refuses_after_keras_is_imported_and_an_empty_folder(tmp_path, restore_caches):
    import keras  # noqa: F401 (imported, as after a notebook's imports cell)

    with pytest.raises(RuntimeError, match="before `import keras`"):
        settings.keep_caches_in(tmp_path)
    with pytest.raises(ValueError, match="expected a folder"):
        settings.keep_caches_in("")


@pytest.mark.parametrize("value", [None, "", "relative/tfhub", "/somewhere/tfhub"])
def test_tfhub_cache_dir_is_the_folder_tensorflow_hub_uses(monkeypatch, tmp_path, value):
    """The variable as given, or tensorflow_hub's own default (the system's temporary folder) when unset or empty."""
    import tempfile
    from pathlib import Path

    from tensorflow_hub import resolver

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # what gettempdir() returns
    if value is None:
        monkeypatch.delenv("TFHUB_CACHE_DIR", raising=False)
    else:
        monkeypatch.setenv("TFHUB_CACHE_DIR", value)
    assert settings.tfhub_cache_dir() == Path(resolver.tfhub_cache_dir(use_temp=True))
    assert settings.tfhub_cache_dir() == (Path(value) if value else tmp_path / "tfhub_modules")


def test_models_dir_is_the_models_setting_or_none(monkeypatch, tmp_path):
    monkeypatch.delenv("TL_COURSE_MODELS", raising=False)
    assert settings.models_dir() is None
    monkeypatch.setenv("TL_COURSE_MODELS", "")
    assert settings.models_dir() is None
    monkeypatch.setenv("TL_COURSE_MODELS", str(tmp_path))
    assert settings.models_dir() == tmp_path
    assert "TL_COURSE_MODELS" in settings.__doc__ and "models_dir" in settings.__all__
