"""nbgrader settings for running `nbgrader` itself from the root of the checkout (see INSTRUCTORS.md).

The course folder is ./course, made by `tl-course release`. nbgrader then also reads
course/nbgrader_config.py, which `release` writes with the same settings (and the timeouts
you may have edited there); run nbgrader inside a course folder kept elsewhere instead.
"""
from tl_course.instructor import grading

c = get_config()  # noqa: F821 (defined by nbgrader's config loader)
grading.configure(c, root="course")
