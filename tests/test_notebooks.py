"""The researcher notebooks run from a fresh clone, without error, on a kernel that is this venv.

Each stored notebook (saved with its outputs by ``notebooks/build.py``) is executed again
by nbclient with a ``python3`` kernelspec written for ``sys.executable``, in ``notebooks/``
as a reader's Jupyter would; any cell error fails the test.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbformat")  # noqa: F841 - a clear skip, not an ImportError
pytest.importorskip("nbclient", reason="the test extra installs nbclient")
pytest.importorskip("ipykernel", reason="the test extra installs ipykernel")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_colour_cues.ipynb", "02_identification_walkthrough.ipynb", "03_evaluate_and_calibrate.ipynb"]


def _build_module():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    module = _build_module()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in module.use_this_interpreter(tmp_path_factory.mktemp("jupyter")).items():
            mp.setenv(key, value)
        yield module


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_with_its_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code), "run `python notebooks/build.py` to store the outputs"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_calls_only_the_public_api(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"from vision[\w.]* import [^\n]*\b_(?!_)\w", source)  # no private names (dunders are fine)
    assert not re.search(r"vision(\.\w+)*\._(?!_)\w", source)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(build, name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    build.execute(nb, cwd=NOTEBOOKS, timeout=300)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
