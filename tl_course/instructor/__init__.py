"""nbgrader tooling for instructors: release the lessons, collect hand-ins, autograde, export the gradebook.

Needs the `instructor` extra (`pip install "tl-course[instructor]"`). Nothing in `core` or `lessons` imports it.
"""
