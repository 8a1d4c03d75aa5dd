"""`tl-course bench`."""

import json

import pytest

from tl_course import cli


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
