# The two commands of the README:
#   make lab    install the course into .venv and open JupyterLab on lesson 00
#   make test   unit tests, then every notebook through nbval, in quick mode
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: lab test install

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

lab: install
	$(BIN)/jupyter lab notebooks/00_setup.ipynb

test: install
	TL_COURSE_QUICK=1 MPLBACKEND=Agg $(BIN)/python -m pytest tests --durations=12
