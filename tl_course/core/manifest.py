"""The course manifest: the one list of lessons and what each needs offline.

`tl-course doctor`, `tl-course download`, grading, the tests and the README check all read
`LESSONS`; nothing else lists or globs the lessons. A weights need is
`(backbone, image_size, include_top)`; a text lesson needs none (`weights=()`). `datasets` must be
present for the lesson to run; `optional_datasets` are fetched by `tl-course download` but only
used when a lesson's parameter turns them on (lesson 03's `PETS = True`).
"""

import dataclasses
from pathlib import Path

__all__ = ["LESSONS", "Lesson", "get_lesson", "lesson_names", "notebook_path"]


@dataclasses.dataclass(frozen=True)
class Lesson:
    """One lesson of the course.

    Its helper module is `module` (`tl_course/lessons/<topic>.py`), whose docstring opens
    "Taught in <name>".

    Attributes:
        name: the notebook's stem, `NN_topic`, e.g. `"04_semi_supervised"`.
        weights: ImageNet weights it needs, as `(backbone, image_size, include_top)`.
        datasets: registry names it needs to run at all.
        optional_datasets: registry names it can use when a parameter asks for them.
        hub_modules: TF Hub modules it needs, as names of the model registry (`data/models.json`).
        checkpoints: Hugging Face checkpoints it needs, as names of the model registry.
    """

    name: str
    weights: tuple
    datasets: tuple = ("flower_photos",)
    optional_datasets: tuple = ()
    hub_modules: tuple = ()
    checkpoints: tuple = ()

    @property
    def number(self):
        """The two-digit lesson number, e.g. `"04"`."""
        return self.name[:2]

    @property
    def topic(self):
        """The topic, e.g. `"semi_supervised"`: the lesson's helper module is `tl_course.lessons.<topic>`."""
        return self.name[3:]

    @property
    def module(self):
        """The lesson's helper module, e.g. `"tl_course.lessons.semi_supervised"`."""
        return f"tl_course.lessons.{self.topic}"

    @property
    def notebook(self):
        """The notebook's path relative to the repository root."""
        return f"notebooks/{self.name}.ipynb"


_MOBILENET_V2_160 = ("mobilenet_v2", 160, False)

LESSONS = (
    Lesson("00_setup", weights=(("mobilenet", 128, True),)),
    Lesson("01_feature_extraction", weights=(_MOBILENET_V2_160,)),
    Lesson("02_fine_tuning", weights=(_MOBILENET_V2_160,)),
    Lesson("03_multi_task", weights=(_MOBILENET_V2_160,), optional_datasets=("oxford_iiit_pet",)),
    Lesson("04_semi_supervised", weights=(_MOBILENET_V2_160, ("mobilenet", 160, False))),
    Lesson("05_sequential_transfer", weights=(_MOBILENET_V2_160,)),
    Lesson("06_domain_adaptation", weights=(_MOBILENET_V2_160,)),
    Lesson("07_model_hubs", weights=(_MOBILENET_V2_160, ("mobilenet_v2", 128, False), ("mobilenet", 128, False),
                                     ("mobilenet", 160, False)), hub_modules=("mobilenet_v2_035_224_hub",)),
    Lesson("08_text_transfer", weights=(), datasets=("sentiment_labelled_sentences",), checkpoints=("all_minilm_l6_v2",)),
    Lesson("09_few_and_zero_shot", weights=(_MOBILENET_V2_160, ("mobilenet", 128, False), ("mobilenet", 128, True)),
           checkpoints=("all_minilm_l6_v2",)),
    Lesson("10_parameter_efficient", weights=(("mobilenet_v2", 128, False), _MOBILENET_V2_160)),
    Lesson("11_negative_transfer", weights=(_MOBILENET_V2_160, ("mobilenet_v2", 96, False), ("mobilenet", 160, False),
                                            ("mobilenet", 128, False), ("mobilenet", 128, True))),
    Lesson("12_self_supervised", weights=(("mobilenet_v2", 96, False),)),
)


def lesson_names():
    """Return the lessons' names in course order, e.g. `["00_setup", ...]`."""
    return [lesson.name for lesson in LESSONS]


def get_lesson(name):
    """Return the `Lesson` named by `"04"`, `"04_semi_supervised"` or `"notebooks/04_semi_supervised.ipynb"`.

    Raises:
        ValueError: no lesson, or more than one, matches; the message lists the lessons.
    """
    stem = Path(str(name)).stem
    found = [lesson for lesson in LESSONS if stem in (lesson.name, lesson.number)]
    if len(found) != 1:
        raise ValueError(f"Expected a lesson name such as {', '.join(lesson_names())}; received {name!r}.")
    return found[0]


def notebook_path(lesson, notebooks_dir):
    """Return the path of `lesson`'s notebook (a `Lesson` or a name) inside `notebooks_dir`."""
    lesson = lesson if isinstance(lesson, Lesson) else get_lesson(lesson)
    return Path(notebooks_dir) / f"{lesson.name}.ipynb"
