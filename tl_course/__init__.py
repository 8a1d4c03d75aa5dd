"""tl-course: helpers for the transfer-learning lessons in `notebooks/`.

Import the topic module you need (`from tl_course import backbones, data`);
importing this package loads neither TensorFlow nor Keras and changes no state.
"""

__version__ = "0.1.0"

__all__ = [
    "backbones",
    "bench",
    "cli",
    "core",
    "data",
    "device",
    "doctor",
    "features",
    "gradebook",
    "grading",
    "handins",
    "images",
    "models",
    "multitask",
    "notebook_format",
    "pipeline",
    "plots",
    "semi",
    "sequential",
    "settings",
    "splits",
    "training",
]
