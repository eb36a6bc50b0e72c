"""The README's Python example runs as written."""
import re
from pathlib import Path


def test_readme_python_example_runs():
    readme = Path(__file__).resolve().parents[1] / "README.md"
    (code,) = re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
    namespace = {}
    exec(compile(code, str(readme), "exec"), namespace)
    assert tuple(namespace["x"].shape) == (1000, 2) and tuple(namespace["x_dps"].shape) == (1000, 2)
