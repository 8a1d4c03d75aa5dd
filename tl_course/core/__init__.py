"""What two or more lessons use (the course's core). Importing it loads neither TensorFlow nor Keras.

Core modules import each other and nothing else of `tl_course` (not `lessons`, `instructor` or `cli`).
"""
