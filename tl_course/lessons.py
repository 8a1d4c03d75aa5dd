"""What each lesson needs offline: ImageNet weights and datasets.

`tl-course doctor` checks these; `tl-course download` fetches them.
A weights need is `(backbone, image_size, include_top)`.
"""

__all__ = ["LESSONS"]

LESSONS = {
    "00_setup": {"weights": [("mobilenet", 128, True)], "datasets": ["flower_photos"]},
    "01_feature_extraction": {"weights": [("mobilenet_v2", 160, False)], "datasets": ["flower_photos"]},
    "02_fine_tuning": {"weights": [("mobilenet_v2", 160, False)], "datasets": ["flower_photos"]},
    "03_multi_task": {"weights": [("mobilenet_v2", 160, False)], "datasets": ["flower_photos"]},
    "04_semi_supervised": {
        "weights": [("mobilenet_v2", 160, False), ("mobilenet", 160, False)],
        "datasets": ["flower_photos"],
    },
    "05_sequential_transfer": {"weights": [("mobilenet_v2", 160, False)], "datasets": ["flower_photos"]},
}
