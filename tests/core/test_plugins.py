"""Plug-ins are found through the ``mgdm_audio.plugins`` entry-point group: a package installed by someone else
registers a sampler with no change to the core, and the project's own domains are found the same way."""

import json
import subprocess
import sys
import textwrap

PLUGIN = """
from mgdm_audio.core.samplers import register_sampler
from mgdm_audio.core.samplers.dps import DPS


@register_sampler
class Echo(DPS):
    name = "echo"
"""

PROBE = """
import json, sys
from mgdm_audio.core.plugins import plugin_modules
from mgdm_audio.core.samplers import sampler_class
before = "echo_plugin" in sys.modules
cls = sampler_class("echo")
print(json.dumps({"modules": plugin_modules(), "before": before, "module": cls.__module__}))
"""


def test_a_third_party_plugin_registers_through_its_entry_point(tmp_path):
    (tmp_path / "echo_plugin.py").write_text(PLUGIN)
    info = tmp_path / "echo_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[mgdm_audio.plugins]\necho = echo_plugin\n")
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + textwrap.dedent(PROBE)
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    facts = json.loads(output.splitlines()[-1])
    assert facts["modules"] == ["mgdm_audio.audio", "echo_plugin", "mgdm_audio.image"]
    assert not facts["before"] and facts["module"] == "echo_plugin"
