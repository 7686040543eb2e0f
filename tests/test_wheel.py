"""The library installs on its own: a wheel built from the repository, in a fresh virtual environment
with only its declared dependencies, works without torch, ipywidgets or the book's stack.

Offline: the wheel is built with the setuptools already installed, and its dependencies come from the
wheelhouse that ``make wheelhouse`` downloads (``make test`` does it first) into ``_build/wheelhouse``.
"""

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WHEELHOUSE = ROOT / "_build" / "wheelhouse"

# the modules whose docstring examples the issue names: the loss, critical points, error bound, descent
REQUIRED_DOCTESTS = {"dlnbook.critical", "dlnbook.errorbound", "dlnbook.descent"}
CORE = {"dlnbook.problem", "dlnbook.core"}   # the module of Problem, under either name
# its examples run torch tensors: they need the torch extra (the book's own test run covers them)
NEEDS_TORCH = "dlnbook.torch_backend"

# run inside the fresh environment: import the installed package and every module of it, doctest each
# (but the one named in argv[1]); report what was imported and what ran
PROBE = r"""
import contextlib, doctest, importlib, importlib.metadata, importlib.util, io, json, pkgutil, sys
import dlnbook
after_import = sorted(m for m in ("torch", "ipywidgets", "IPython", "sphinx", "jupyter_book", "pytest")
                      if m in sys.modules)
results, failures, not_importable = {}, {}, {}
for info in pkgutil.iter_modules(dlnbook.__path__, "dlnbook."):
    try:
        module = importlib.import_module(info.name)
    except ModuleNotFoundError as error:
        not_importable[info.name] = error.name
        continue
    if info.name == sys.argv[1]:
        continue
    with contextlib.redirect_stdout(io.StringIO()) as report:
        outcome = doctest.testmod(module)
    results[info.name] = [outcome.attempted, outcome.failed]
    if outcome.failed:
        failures[info.name] = report.getvalue()
print(json.dumps({
    "file": dlnbook.__file__, "version": dlnbook.__version__,
    "distribution_version": importlib.metadata.version("dlnbook"),
    "loaded_after_import": after_import,
    "installed": sorted(m for m in ("torch", "ipywidgets", "IPython", "jupyter_book", "sphinx", "pytest")
                        if importlib.util.find_spec(m)),
    "doctests": results, "failures": failures, "not_importable": not_importable}))
"""


def _run(*command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if not any(WHEELHOUSE.glob("numpy-*.whl")):
        pytest.fail("no wheelhouse with the declared dependencies: run `make wheelhouse` (`make test` does)")
    tmp = tmp_path_factory.mktemp("wheel")
    # build from a copy, so the repository gets no build/ or egg-info
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    shutil.copytree(ROOT / "dlnbook", source / "dlnbook", ignore=shutil.ignore_patterns("__pycache__"))
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", tmp / "dist", source)
    wheel, = (tmp / "dist").glob("dlnbook-*.whl")
    # outside the repository, with no PYTHONPATH: pip sees no other copy of dlnbook (it would take that
    # for installed already), and only the installed copy can be imported
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    environment.update(MPLBACKEND="agg", PYTHONHASHSEED="0")
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp, env=environment)
    python = venv / "bin" / "python"
    # --isolated: no pip configuration (extra indexes, find-links) from this machine
    _run(python, "-m", "pip", "install", "--isolated", "--quiet", "--no-index", "--find-links", WHEELHOUSE, wheel,
         cwd=tmp, env=environment)
    report = json.loads(_run(python, "-c", PROBE, NEEDS_TORCH, cwd=tmp, env=environment))
    return {"wheel": wheel, "venv": venv, "report": report}


def test_the_wheel_installs_the_package_with_the_one_version(installed):
    report = installed["report"]
    assert Path(report["file"]).is_relative_to(installed["venv"])
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"].get("version")
    assert version is None, "pyproject.toml takes the version from dlnbook.__version__, it does not repeat it"
    assert installed["wheel"].name.startswith(f"dlnbook-{report['version']}-")
    assert report["distribution_version"] == report["version"]


def test_only_the_declared_dependencies_are_installed(installed):
    report = installed["report"]
    assert report["installed"] == [], "the fresh environment should hold numpy, matplotlib and their needs only"
    assert report["loaded_after_import"] == []


def test_the_docstring_examples_pass_in_the_fresh_environment(installed):
    doctests, failures = installed["report"]["doctests"], installed["report"]["failures"]
    assert REQUIRED_DOCTESTS <= set(doctests), doctests
    assert CORE & set(doctests), doctests
    for module in REQUIRED_DOCTESTS | (CORE & set(doctests)):
        attempted, failed = doctests[module]
        assert attempted > 0, f"{module} has no docstring examples"
        assert failed == 0, f"{module}: {failed} of {attempted} examples failed in the installed wheel"
    assert failures == {}, "\n".join(failures.values())


def test_every_module_imports_without_the_extras(installed):
    assert installed["report"]["not_importable"] == {}
