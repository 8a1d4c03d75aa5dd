"""Lesson 00's helpers: `tl-course doctor` and `download`."""


from tl_course import cli
from tl_course.core import settings
from tl_course.lessons import setup


def test_doctor_reports_versions_caches_and_lessons(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    for word in ("tensorflow 2.21.0", "keras 3.15.1", "KERAS_HOME", "TL_COURSE_DATA", "weights:", "datasets:", "lessons offline:", "00_setup"):
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
    import keras

    def refuse(*args, **kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(keras.utils, "get_file", refuse)
    results = setup.download_all()
    assert len(results) == 5 and all(status.startswith("failed") for _, status in results)
    assert "oxford_iiit_pet" in dict(results), "download fetches the optional datasets of the manifest too"
    assert cli.main(["download"]) == 1
