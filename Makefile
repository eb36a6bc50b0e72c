# Set-up, tests and the demo. `make test` and `make demo` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The torch build and its matching torchaudio.
TORCH_PINS ?= torch==2.14.1 torchaudio==2.11.1

# Only test oracles, without their stale dependencies: the original MSDM network code, and guided-diffusion's
# (ADM) code as packaged on PyPI (its unet.py differs from openai/guided-diffusion's only in a gradient-checkpointing flag).
ORACLE_PINS ?= audio-diffusion-pytorch==0.0.43 einops==0.8.2 einops-exts==0.0.4 guided-diffusion-sdk==1.0.0

.PHONY: install test demo bench-gmm clean

install: $(INSTALLED)

$(INSTALLED): setup.py tools/install_system_packages.sh
	bash tools/install_system_packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PINS)
	$(BIN)/python -m pip install --quiet -e '.[test,images,corpus]'
	$(BIN)/python -m pip install --quiet --no-deps $(ORACLE_PINS)
	touch $@

# ruff (ruff.toml: format and lint) first, then the tests.
test: $(INSTALLED)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# The demo: separate the shipped example mixtures with the embedded separator and prior (mgdm separate's
# defaults: MGDM refining the separator's estimate; the files in DEMO_JOBS parallel one-thread processes),
# then score them (SI-SDRi, MSDM protocol) and write their listening page (exp/demo/page/index.html).
DEMO_OUT ?= exp/demo
DEMO_OPTS ?=
DEMO_JOBS ?= 2
demo: $(INSTALLED)
	ls examples/*.wav | OMP_NUM_THREADS=1 xargs -P $(DEMO_JOBS) -I{} \
		$(BIN)/mgdm separate {} -o $(DEMO_OUT) --resume $(DEMO_OPTS)
	$(BIN)/mgdm score examples/data $(DEMO_OUT)/default -o $(DEMO_OUT)/score --no-museval
	$(BIN)/mgdm report $(DEMO_OUT)/page $(DEMO_OUT)/score/summary.json --labels default

bench-gmm: $(INSTALLED)
	$(BIN)/mgdm bench gmm --jobs 2

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
