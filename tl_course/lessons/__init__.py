"""One module per lesson, named after its notebook: `notebooks/04_semi_supervised.ipynb` is taught with
`tl_course/lessons/semi_supervised.py`. Lesson modules import `tl_course.core` only, never each other."""
