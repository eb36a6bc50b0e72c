"""The Python examples of the README and of docs/audio.md run as written."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _example(heading: str, document: str = "README.md") -> dict:
    """Runs the Python block of the section ``heading`` of ``document`` (a path from the repository root); returns
    its names."""
    text = (ROOT / document).read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace = {}
    exec(compile(code, str(ROOT / document), "exec"), namespace)
    return namespace


def test_readme_python_example_runs():
    namespace = _example("Python API")
    assert tuple(namespace["x"].shape) == (1000, 2) and tuple(namespace["x_dps"].shape) == (1000, 2)


def test_readme_separation_example_runs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # the example reads examples/
    namespace = _example("Separating from Python", "docs/audio.md")
    length = len(namespace["excerpt"])
    assert set(namespace["stems"]) == set(namespace["refined"]) == {"bass", "drums", "guitar", "piano"}
    assert all(stem.shape == (length,) for stem in [*namespace["stems"].values(), *namespace["refined"].values()])
    assert "max |sum of stems - mixture|" in capsys.readouterr().out
