"""Shared test set-up: unit tests run first, the notebook runs last."""

import pytest


def pytest_collection_modifyitems(items):
    """Run the slow notebook and grading tests after every unit test."""
    last = ("test_notebooks.py", "test_grading.py")
    items.sort(key=lambda item: item.fspath.basename in last)


@pytest.fixture(autouse=True)
def _fresh_course_cache(tmp_path, monkeypatch):
    """Give each unit test its own course cache, so tests never share state."""
    monkeypatch.setenv("TL_COURSE_CACHE", str(tmp_path / "tl_cache"))
