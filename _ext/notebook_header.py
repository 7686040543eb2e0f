"""The top of every chapter notebook, generated from ``_config.yml`` (the one place it is defined).

* **The TeX macros**: the site gets them from ``mathjax3_config``. Each notebook repeats them in a first
  markdown cell (tagged ``remove-cell``, so the site does not show it) for the other viewers:
  JupyterLab with MyST reads the front matter's ``math:``, and plain Jupyter, VS Code and GitHub read
  the ``\\def`` lines of its inline formula.
* **The install lines** of the first code cell: on Binder or Colab, where ``dlnbook`` is missing, the
  chapter installs it from the book's repository at the book's version. ``DLNBOOK_INSTALL`` (pip
  arguments) overrides the source, for example a local checkout.

``python _ext/notebook_header.py`` rewrites the chapters (``make notebooks`` runs it first);
``python _ext/notebook_header.py --check`` exits with 1 and names the chapters that are out of date.
"""

import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))
TAG = "book-header"
INSTALL_BEGIN = "# Binder, Colab: install the book's library when it is missing"


def config():
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def version():
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    if match:
        return match.group(1)
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', (ROOT / "dlnbook" / "__init__.py").read_text(), re.M)
    return match.group(1)


def macros(cfg):
    """Name → (body, number of arguments), from the site's MathJax configuration."""
    out = {}
    for name, value in cfg["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"].items():
        body, nargs = (value, 0) if isinstance(value, str) else (value[0], int(value[1]))
        out[name] = (body, nargs)
    return out


def macros_source(cfg):
    front = "\n".join(f"  '\\{name}': '{body}'" for name, (body, _) in macros(cfg).items())
    defs = "".join(f"\\def\\{name}{''.join(f'#{k + 1}' for k in range(nargs))}{{{body}}}"
                   for name, (body, nargs) in macros(cfg).items())
    return f"---\nmath:\n{front}\n---\n${defs}$"


def install_lines(cfg):
    url = ((cfg.get("repository") or {}).get("url") or "").rstrip("/")
    source = f"dlnbook @ git+{url}@v{version()}" if url else ""
    return [INSTALL_BEGIN,
            "import importlib.util, os, sys",
            'if importlib.util.find_spec("dlnbook") is None:',
            f'    !{{sys.executable}} -m pip install --quiet {{os.environ.get("DLNBOOK_INSTALL", "{source}")}}']


def updated(nb, cfg):
    """The notebook with its header cells brought up to date (a new dict; ``nb`` is not changed)."""
    nb = json.loads(json.dumps(nb))
    cells = nb["cells"]
    header = {"cell_type": "markdown", "id": "book-macros", "metadata": {"tags": ["remove-cell", TAG]},
              "source": macros_source(cfg).splitlines(keepends=True)}
    if cells and TAG in cells[0].get("metadata", {}).get("tags", []):
        cells[0] = header
    else:
        cells.insert(0, header)
    code = next(c for c in cells if c["cell_type"] == "code")
    lines = "".join(code["source"]).split("\n")
    if INSTALL_BEGIN in lines:
        start = lines.index(INSTALL_BEGIN)
        del lines[start:start + len(install_lines(cfg))]
    at = 1 if lines and lines[0].startswith("%matplotlib") else 0
    lines[at:at] = install_lines(cfg)
    code["source"] = "\n".join(lines).splitlines(keepends=True)
    return nb


def main(argv):
    cfg, stale = config(), []
    for path in CHAPTERS:
        nb = json.loads(path.read_text())
        new = updated(nb, cfg)
        if new != nb:
            stale.append(path.name)
            if "--check" not in argv:
                path.write_text(json.dumps(new, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    if "--check" in argv and stale:
        print(f"out of date with _config.yml: {', '.join(stale)}; run `python _ext/notebook_header.py`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
