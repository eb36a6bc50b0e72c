from pathlib import Path

from setuptools import find_packages, setup

setup(
    name="mgdm_audio",
    version="0.1.0",
    description="Music source separation and inverse problems by mixture-guided Gibbs sampling (MGDM) "
    "with diffusion priors",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["mgdm_audio", "mgdm_audio.*"]),
    package_data={
        "mgdm_audio": [
            "core/samplers/presets/*.toml",
            "audio/presets/*.toml",
            "image/presets/*.toml",
            "assets/priors/*/*",
            "assets/separators/*/*",
        ]
    },
    install_requires=[
        "torch>=2.1",
        "torchaudio>=2.1",
        "numpy>=1.24",
        "soundfile>=0.12",
        "librosa>=0.10",
        "scipy>=1.8",  # sparse and Toeplitz solvers (Janssen gap filling); librosa needs it too
        "museval>=0.4",
        "diffusers>=0.25",
        "safetensors>=0.4",
        "tqdm>=4.60",
        "matplotlib>=3.5",
        "pyyaml>=5.1",
        "Pillow>=9.1",
        "tomli>=2.0; python_version < '3.11'",
    ],
    extras_require={
        # selenium drives headless Chromium in the results pages' tests (mgdm report --check).
        "test": ["pytest>=7", "ruff==0.17.6", "selenium>=4.10"],
        # The package MSDM was built with: only a test oracle for converted checkpoints (mgdm convert-msdm).
        "msdm": ["audio-diffusion-pytorch==0.0.43"],
        # The offline image recipe egs/faces/s5: scikit-image ships the LFW face crops in its wheel.
        # egs/photos/s5: its photos ship in the scikit-image and scikit-learn wheels.
        "images": ["scikit-image>=0.19", "scikit-learn>=1.0"],
        # mgdm prepare-varied4: music21's corpus of scores, Spotify's pedalboard for the per-stem effects.
        "corpus": ["music21>=9.1", "pedalboard>=0.9"],
    },
    entry_points={
        "console_scripts": ["mgdm = mgdm_audio.cli:main"],
        # Domains that register with the core on first use (mgdm_audio/core/plugins.py).
        "mgdm_audio.plugins": ["audio = mgdm_audio.audio", "image = mgdm_audio.image"],
    },
)
