"""The course manifest agrees with the notebooks and the dataset registry."""

from pathlib import Path

from tl_course.core import checkpoints, datasets, hub_modules
from tl_course.core.manifest import LESSONS

ROOT = Path(__file__).resolve().parents[2]


def test_the_manifest_lists_every_lesson_notebook_in_order():
    on_disk = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [lesson.name for lesson in LESSONS] == on_disk, "tl_course/core/manifest.py and notebooks/ disagree"
    assert [lesson.number for lesson in LESSONS] == [f"{i:02d}" for i in range(len(LESSONS))]


def test_every_dataset_a_lesson_names_is_registered():
    from tl_course.core.manifest import LESSONS

    named = {name for lesson in LESSONS for name in lesson.datasets + lesson.optional_datasets}
    assert named and named <= set(datasets.registry()), f"unregistered: {sorted(named - set(datasets.registry()))}"
    assert set(datasets.registry()) <= named, "a registered dataset no lesson uses is never downloaded"


def test_every_model_a_lesson_names_is_registered_and_used():
    for field, registered in (("hub_modules", hub_modules.registry()), ("checkpoints", checkpoints.registry())):
        named = {name for lesson in LESSONS for name in getattr(lesson, field)}
        assert named == set(registered), f"{field}: named by a lesson {sorted(named)}, registered {sorted(registered)}"
