"""Lesson 00's helpers: `tl-course doctor` and `download`."""


from tl_course import cli
from tl_course.core import checkpoints, hub_modules, settings
from tl_course.lessons import setup


def test_doctor_reports_versions_caches_and_lessons(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    for word in ("tensorflow 2.21.0", "keras 3.15.1", "keras-hub 0.32.0", "KERAS_HOME", "TL_COURSE_DATA", "TL_COURSE_MODELS",
                 "TFHUB_CACHE_DIR", "weights:", "datasets:", "Hugging Face checkpoints:", "lessons offline:", "00_setup"):
        assert word in out


def test_doctor_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "keras_home", lambda: tmp_path / "empty")
    monkeypatch.delenv("TL_COURSE_DATA", raising=False)
    missing = setup.lesson_readiness()
    assert "weights mobilenet_2_5_128_tf.h5" in missing["00_setup"] and "dataset flower_photos" in missing["00_setup"]
    text = setup.report(gpus=[{"name": "Tesla V100", "compute_capability": (7, 0)}])
    assert "[--] 01_feature_extraction: needs weights mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_160_no_top.h5" in text
    assert "GPU Tesla V100: mixed_float16" in text


def test_download_reports_failures_and_keeps_going(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "keras_home", lambda: tmp_path)
    monkeypatch.delenv("TL_COURSE_DATA", raising=False)
    monkeypatch.delenv("TL_COURSE_MODELS", raising=False)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "tfhub"))
    import keras

    def refuse(*args, **kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(keras.utils, "get_file", refuse)
    monkeypatch.setattr(hub_modules, "download", refuse)
    monkeypatch.setattr(checkpoints, "download", refuse)
    results = setup.download_all()
    expected = (len(setup._needed_weights()) + len(setup._needed_datasets(optional=True)) + len(setup._needed_hub_modules())
                + len(setup._needed_checkpoints()))
    assert len(results) == expected and all(status.startswith("failed") for _, status in results)
    assert setup._needed_hub_modules() == ["mobilenet_v2_035_224_hub"], "lesson 07's TF Hub module is in the manifest"
    assert setup._needed_checkpoints() == ["all_minilm_l6_v2"], "lesson 08's checkpoint is in the manifest"
    assert "sentiment_labelled_sentences" in dict(results) and "all_minilm_l6_v2" in dict(results)
    assert "oxford_iiit_pet" in dict(results), "download fetches the optional datasets of the manifest too"
    assert cli.main(["download"]) == 1


def test_the_tested_versions_are_pyproject_pins():
    import re
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    pins = dict(re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", pin).groups()
                for pin in tomllib.loads(pyproject.read_text())["project"]["dependencies"])
    assert setup.TESTED_VERSIONS == {name: pins[name] for name in ("tensorflow", "keras", "tensorflow-hub", "keras-hub")}


def test_a_different_version_warns_naming_the_package_and_both_versions():
    import pytest

    installed = {"tensorflow": "2.19.0", "keras": setup.TESTED_VERSIONS["keras"],
                 "keras-hub": setup.TESTED_VERSIONS["keras-hub"]}  # Colab-like: tensorflow-hub missing
    with pytest.warns(setup.VersionWarning) as record:
        differences = setup.check_versions(installed)
    tested = setup.TESTED_VERSIONS
    assert differences == [("tensorflow", "2.19.0", tested["tensorflow"]),
                           ("tensorflow-hub", "not installed", tested["tensorflow-hub"])]
    messages = [str(w.message) for w in record]
    assert len(messages) == 2
    assert "tensorflow 2.19.0 is installed" in messages[0] and f"tested on tensorflow {tested['tensorflow']}" in messages[0]
    assert "tensorflow-hub not installed" in messages[1] and f"tensorflow-hub {tested['tensorflow-hub']}" in messages[1]
    assert all("keras" not in m.split(":")[0] for m in messages), "an equal version does not warn"


def test_equal_versions_warn_nothing():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert setup.check_versions(dict(setup.TESTED_VERSIONS)) == []
        assert setup.check_versions() == [], "this environment installs the pins"


def test_doctor_names_the_tested_version_beside_a_different_one(monkeypatch):
    monkeypatch.setattr(setup, "_version", lambda p: "2.19.0" if p == "tensorflow" else setup.TESTED_VERSIONS.get(p, "1"))
    text = setup.report(gpus=[])
    assert f"tensorflow 2.19.0 (the course was tested on {setup.TESTED_VERSIONS['tensorflow']})" in text
    assert f"keras {setup.TESTED_VERSIONS['keras']}\n" in text


def test_lesson_00_compares_versions_and_says_how_to_keep_caches_on_drive():
    import json
    from pathlib import Path

    from tl_course.core.manifest import get_lesson

    notebook = Path(__file__).resolve().parents[2] / get_lesson("00").notebook
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n".join(c["source"] for c in cells if c["cell_type"] == "code")
    prose = "\n".join(c["source"] for c in cells if c["cell_type"] == "markdown")
    assert "setup.check_versions()" in code
    assert "~/.cache/tl_course" in prose and 'settings.keep_caches_in("/content/drive/MyDrive/tl_course")' in prose


def _with_a_hub_lesson(monkeypatch):
    """Add a lesson that needs the registry's TF Hub module to the manifest `setup` reads."""
    import types

    from tl_course.core.manifest import LESSONS

    lesson = types.SimpleNamespace(name="07_model_hubs", weights=(), datasets=(), optional_datasets=(),
                                   hub_modules=("mobilenet_v2_035_224_hub",), checkpoints=())
    monkeypatch.setattr(setup, "LESSONS", LESSONS + (lesson,))


def test_doctor_reports_a_lessons_tf_hub_module_cached_or_missing(tmp_path, monkeypatch):
    _with_a_hub_lesson(monkeypatch)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    folder = hub_modules.cache_folder("mobilenet_v2_035_224_hub")
    assert setup.lesson_readiness()["07_model_hubs"] == ["TF Hub module mobilenet_v2_035_224_hub"]
    text = setup.report(gpus=[])
    assert f"TFHUB_CACHE_DIR  {tmp_path}\n" in text
    assert f"TF Hub modules:\n  [--] mobilenet_v2_035_224_hub: missing: expected {folder}/ holding saved_model.pb" in text
    assert "[--] 07_model_hubs: needs TF Hub module mobilenet_v2_035_224_hub" in text
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(b"")
    assert setup.lesson_readiness()["07_model_hubs"] == []
    text = setup.report(gpus=[])
    assert f"  [ok] mobilenet_v2_035_224_hub: cached in {folder}\n" in text and "[ok] 07_model_hubs" in text


def test_download_fills_the_tf_hub_cache_through_tensorflow_hub(tmp_path, monkeypatch):
    import keras

    _with_a_hub_lesson(monkeypatch)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(keras.utils, "get_file", lambda *args, **kwargs: str(tmp_path))  # weights, datasets: not the point here
    monkeypatch.setattr(checkpoints, "download", lambda name: tmp_path)  # nor lesson 08's checkpoint
    asked = []

    def fake_download(name):  # hub.resolve's work: fill the cache folder of the handle
        asked.append(name)
        folder = hub_modules.cache_folder(name)
        folder.mkdir()
        (folder / "saved_model.pb").write_bytes(b"")
        return folder

    monkeypatch.setattr(hub_modules, "download", fake_download)
    assert ("mobilenet_v2_035_224_hub", "downloaded") in setup.download_all() and asked == ["mobilenet_v2_035_224_hub"]
    assert ("mobilenet_v2_035_224_hub", "cached") in setup.download_all() and len(asked) == 1


def test_doctor_reports_a_lessons_checkpoint_found_or_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "keras_home", lambda: tmp_path / "keras")
    monkeypatch.setenv("TL_COURSE_MODELS", str(tmp_path / "models"))
    folder = tmp_path / "models" / "all-MiniLM-L6-v2"
    assert "checkpoint all_minilm_l6_v2" in setup.lesson_readiness()["08_text_transfer"]
    text = setup.report(gpus=[])
    assert f"TL_COURSE_MODELS {tmp_path / 'models'}\n" in text
    assert f"Hugging Face checkpoints:\n  [--] all_minilm_l6_v2: missing: expected {folder}/ holding config.json" in text
    line = next(line for line in text.splitlines() if line.startswith("  [--] 08_text_transfer: needs "))
    assert line.endswith("checkpoint all_minilm_l6_v2"), line
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"")
    assert "checkpoint all_minilm_l6_v2" not in setup.lesson_readiness()["08_text_transfer"]
    assert f"  [ok] all_minilm_l6_v2: found at {folder}\n" in setup.report(gpus=[])


def test_download_fetches_a_lessons_checkpoint_once(tmp_path, monkeypatch):
    import keras

    monkeypatch.setattr(settings, "keras_home", lambda: tmp_path / "keras")
    monkeypatch.setenv("TL_COURSE_MODELS", str(tmp_path / "models"))
    monkeypatch.setattr(keras.utils, "get_file", lambda *args, **kwargs: str(tmp_path))  # weights, datasets: not the point here
    monkeypatch.setattr(hub_modules, "download", lambda name: tmp_path)
    asked = []

    def fake_download(name):  # snapshot_download's work: fill the checkpoint's folder
        asked.append(name)
        folder = tmp_path / "models" / checkpoints.get_checkpoint(name)["folder"]
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{}")
        (folder / "model.safetensors").write_bytes(b"")
        return folder

    monkeypatch.setattr(checkpoints, "download", fake_download)
    assert ("all_minilm_l6_v2", "downloaded") in setup.download_all() and asked == ["all_minilm_l6_v2"]
    assert ("all_minilm_l6_v2", "cached") in setup.download_all() and len(asked) == 1
