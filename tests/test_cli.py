"""`tl-course doctor`, `download`, `bench` and `format`."""

import json
import subprocess
import sys

import pytest

from conftest import make_image
from tl_course import bench, cli, doctor, settings


def test_doctor_reports_versions_caches_and_lessons(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    for word in ("tensorflow 2.21.0", "keras 3.15.1", "KERAS_HOME", "TL_COURSE_DATA", "weights:", "datasets:", "lessons offline:", "00_setup"):
        assert word in out


def test_doctor_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "keras_home", lambda: tmp_path / "empty")
    monkeypatch.delenv("TL_COURSE_DATA", raising=False)
    missing = doctor.lesson_readiness()
    assert "weights mobilenet_2_5_128_tf.h5" in missing["00_setup"] and "dataset flower_photos" in missing["00_setup"]
    text = doctor.report(gpus=[{"name": "Tesla V100", "compute_capability": (7, 0)}])
    assert "[--] 01_feature_extraction: needs weights mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_160_no_top.h5" in text
    assert "GPU Tesla V100: mixed_float16" in text


def test_download_reports_failures_and_keeps_going(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "keras_home", lambda: tmp_path)
    monkeypatch.delenv("TL_COURSE_DATA", raising=False)
    import keras

    def refuse(*args, **kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(keras.utils, "get_file", refuse)
    results = doctor.download_all()
    assert len(results) == 5 and all(status.startswith("failed") for _, status in results)
    assert "oxford_iiit_pet" in dict(results), "download fetches the optional datasets of the manifest too"
    assert cli.main(["download"]) == 1


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "tl_course.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "doctor" in out.stdout and "bench" in out.stdout


def test_format_strips_outputs(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": "1", "metadata": {}, "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}], "execution_count": 4}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    assert cli.main(["format", str(path)]) == 0
    cell = json.loads(path.read_text())["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None and cell["id"] == "cell-00"


def test_bench_measures_both_comparisons(flowers, imagenet_weights, tmp_path, capsys):
    assert cli.main(["bench", "--per-class", "8", "--epochs", "2", "--image-size", "96", "--json", str(tmp_path / "b.json")]) == 0
    result = json.loads((tmp_path / "b.json").read_text())
    assert result["images"] == 40 and result["epochs"] == 2
    for key in ("end_to_end_seconds", "embed_once_seconds", "pipeline_images_per_second", "in_memory_images_per_second",
                "cached_pipeline_images_per_second"):
        assert result[key] > 0
    assert 0 <= result["end_to_end_test_accuracy"] <= 1 and 0 <= result["embed_once_test_accuracy"] <= 1
    assert result["speedup"] == pytest.approx(result["end_to_end_seconds"] / result["embed_once_seconds"])
    assert result["cached_over_memory"] == pytest.approx(
        result["cached_pipeline_images_per_second"] / result["in_memory_images_per_second"])
    assert "| embed once + head |" in capsys.readouterr().out
