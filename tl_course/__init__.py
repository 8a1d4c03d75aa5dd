"""tl-course: helpers for the transfer-learning lessons in `notebooks/`.

- `tl_course.core`: what two or more lessons use (settings, images, datasets, sampling, backbones, ...);
- `tl_course.lessons.<topic>`: one module per notebook, `notebooks/NN_<topic>.ipynb`;
- `tl_course.instructor`: nbgrader tooling (release, hand-ins, autograde, gradebook);
- `tl_course.cli`: the `tl-course` command.

Importing this package loads neither TensorFlow nor Keras and changes no state.
"""

__version__ = "0.1.0"

__all__ = ["cli", "core", "instructor", "lessons"]
