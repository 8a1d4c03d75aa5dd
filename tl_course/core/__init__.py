"""What two or more lessons use (the course's core). Importing it loads neither TensorFlow nor Keras."""
