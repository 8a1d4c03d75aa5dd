# The two commands of the README:
#   make lab    install the course into .venv (the lessons' dependencies only) and open JupyterLab on lesson 00
#               (its learner's edition, notebooks/learner/: answers stubbed)
#   make test   install it with the instructor and dev extras into .venv-dev, then run unit tests and
#               every notebook through nbval, in quick mode
# Two environments, so a learner's JupyterLab never shows nbgrader's buttons.
PYTHON ?= python3
VENV ?= .venv
DEV_VENV ?= .venv-dev

.PHONY: lab test test-draws install install-dev

install: $(VENV)/.installed
install-dev: $(DEV_VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e .
	touch $@

$(DEV_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(DEV_VENV)
	$(DEV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(DEV_VENV)/bin/python -m pip install --quiet -e ".[instructor,dev]"
	touch $@

lab: install
	$(VENV)/bin/jupyter lab notebooks/learner/00_setup.ipynb

test: install-dev
	TL_COURSE_QUICK=1 MPLBACKEND=Agg $(DEV_VENV)/bin/python -m pytest tests --durations=12

# Another fair draw of photos: every lesson in quick mode with another SEED (injected after its
# parameters cell). Not part of `make test`; run it before changing a lesson's claims.
DRAW_SEED ?= 7
test-draws: install-dev
	TL_COURSE_QUICK=1 TL_COURSE_DRAW_SEED=$(DRAW_SEED) MPLBACKEND=Agg $(DEV_VENV)/bin/python -m pytest tests/test_notebooks.py -k quick_mode --durations=12
