# Set-up, tests and the demo. `make test` and `make demo` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The torch build and its matching torchaudio (see README, "Installation").
TORCH_PINS ?= torch==2.14.1 torchaudio==2.11.1

.PHONY: install test bench-gmm clean

install: $(INSTALLED)

$(INSTALLED): setup.py tools/install_system_packages.sh
	bash tools/install_system_packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PINS)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

test: $(INSTALLED)
	$(BIN)/python -m pytest -q

bench-gmm: $(INSTALLED)
	$(BIN)/mgdm bench gmm --quick

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
