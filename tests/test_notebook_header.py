"""The top of every chapter: macros and install lines generated from _config.yml, and a chapter that
runs in a kernel where dlnbook is not installed (Binder, Colab), installing it itself."""

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import notebook_header  # noqa: E402

pytestmark = pytest.mark.unit


def test_every_chapter_header_matches_the_config():
    stale = [p.name for p in notebook_header.CHAPTERS
             if notebook_header.updated(json.loads(p.read_text()), notebook_header.config()) != json.loads(p.read_text())]
    assert stale == [], f"run `python _ext/notebook_header.py`: {stale}"


def test_header_defines_every_macro_for_every_viewer():
    config = notebook_header.config()
    macros = config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    source = notebook_header.macros_source(config)
    front = yaml.safe_load(source.split("---")[1])["math"]
    assert set(front) == {f"\\{name}" for name in macros}, "MyST front matter"
    for name in macros:
        assert f"\\def\\{name}" in source, f"\\{name} is not defined for plain Jupyter viewers"
    # a macro with arguments keeps them: \prodW{1}{3} must expand to W_{1:3} in both forms
    assert front["\\prodW"] == "W_{#1:#2}" and "\\def\\prodW#1#2{W_{#1:#2}}" in source


def test_install_lines_point_at_the_repository_at_the_book_version(monkeypatch):
    config = notebook_header.config()
    config["repository"] = {"url": "https://example.org/owner/dlnbook/"}
    lines = "\n".join(notebook_header.install_lines(config))
    assert f"dlnbook @ git+https://example.org/owner/dlnbook@v{notebook_header.version()}" in lines
    import dlnbook
    assert notebook_header.version() == dlnbook.__version__


@pytest.mark.slow
def test_a_chapter_installs_dlnbook_when_it_is_missing(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.delenv("PYTHONPATH", raising=False)  # nothing may make the checkout importable
    # a Python where the book's stack is importable but dlnbook is not
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "book_stack.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = subprocess.run([python, "-c", "import importlib.util as u; print(u.find_spec('dlnbook'), u.find_spec('numpy') is not None)"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert probe.stdout.split() == ["None", "True"], probe

    # the library's source, as the repository would give it (a copy: building must not write into the checkout)
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "dlnbook", source / "dlnbook", ignore=shutil.ignore_patterns("__pycache__"))

    kernels = tmp_path / "jupyter" / "kernels" / "fresh"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps(
        {"argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "fresh",
         "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    # pip's `--target` installs into the fresh environment only; no build isolation: offline
    monkeypatch.setenv("DLNBOOK_INSTALL", f"--no-build-isolation --no-deps --target {site} {source}")

    chapter = ROOT / "chapters" / "01_regularized_loss.ipynb"
    nb = nbformat.read(chapter, as_version=4)
    NotebookClient(nb, kernel_name="fresh", timeout=600, resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert not any(o.get("name") == "stderr" for o in first.outputs), first.outputs  # quietly
    assert (site / "dlnbook" / "__init__.py").is_file(), "dlnbook was not installed into the fresh environment"
