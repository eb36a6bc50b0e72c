"""The core is one place: importing it (or the package face) loads no module of the audio or image plug-ins, and
the plug-ins register their pieces with it on first use."""

import json
import subprocess
import sys

PROBE = r"""
import json, sys
import numpy as np

def plugins():
    return sorted(name for name in sys.modules if name.startswith(("mgdm_audio.audio", "mgdm_audio.image")))

import mgdm_audio.core
after_core = plugins()
import mgdm_audio as ma
after_face = plugins()
prior = ma.priors.GaussianMixture(np.ones(1), np.zeros((1, 2)), np.eye(2)[None])
ma.sample(prior, ma.operators.Linear(np.ones((1, 2))), np.zeros(1), sigma_y=0.5, num_samples=2, seed=0, steps=4)
after_sample = plugins()
from mgdm_audio.core.samplers import make_sampler
dirac = make_sampler("dirac", "audio")
print(json.dumps({"core": after_core, "face": after_face, "sample": after_sample,
                  "dirac": type(dirac).__module__, "loaded": "mgdm_audio.audio.dirac" in sys.modules,
                  "face_names": [type(getattr(ma.priors, "MultiSourcePrior")).__name__,
                                 ma.operators.image.__name__, ma.samplers.Dirac.__module__]}))
"""


def test_the_core_imports_no_plugin_and_plugins_register_on_first_use():
    output = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    facts = json.loads(output.splitlines()[-1])
    assert facts["core"] == [] and facts["face"] == [] and facts["sample"] == []
    assert facts["dirac"] == "mgdm_audio.audio.dirac" and facts["loaded"]
    assert facts["face_names"] == ["type", "mgdm_audio.image.operators", "mgdm_audio.audio.dirac"]


def test_the_core_imports_only_itself_and_common():
    """The core never imports the public face (``mgdm_audio.samplers``, ``mgdm_audio.priors``, …) or a plug-in:
    every absolute import of the package in ``mgdm_audio/core`` names ``mgdm_audio.core`` or ``mgdm_audio.common``."""
    import ast
    from pathlib import Path

    core = Path(__file__).resolve().parents[2] / "mgdm_audio" / "core"
    offending = []
    for path in sorted(core.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            offending += [
                f"{path.relative_to(core)}: {name}"
                for name in names
                if name.split(".")[0] == "mgdm_audio" and not name.startswith(("mgdm_audio.core", "mgdm_audio.common"))
            ]
    assert offending == []
