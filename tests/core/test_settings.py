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
