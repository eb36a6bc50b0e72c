# Set-up, tests and the demo. `make test` and `make demo` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The torch build and its matching torchaudio (see README, "Installation").
TORCH_PINS ?= torch==2.14.1 torchaudio==2.11.1

# Only a test oracle: the original MSDM network code, without its stale dependencies.
ORACLE_PINS ?= audio-diffusion-pytorch==0.0.43 einops==0.8.2 einops-exts==0.0.4

.PHONY: install test demo bench-gmm clean

install: $(INSTALLED)

$(INSTALLED): setup.py tools/install_system_packages.sh
	bash tools/install_system_packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PINS)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps $(ORACLE_PINS)
	touch $@

test: $(INSTALLED)
	$(BIN)/python -m pytest -q

# Until audio separation lands (issue 4), the demo is the quick exact-posterior benchmark.
demo: $(INSTALLED)
	$(BIN)/mgdm bench gmm --quick --jobs 2

bench-gmm: $(INSTALLED)
	$(BIN)/mgdm bench gmm --jobs 2

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
