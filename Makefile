# Two commands on a fresh machine: `make book` builds the book, `make test` checks everything.
# Both create .venv from requirements.txt on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
# the kernel that executes notebooks must be the venv's python
export PATH := $(BIN):$(PATH)
# reproducible outputs: nbval compares them with the committed ones
export PYTHONHASHSEED := 0
export OMP_NUM_THREADS := 1
export MPLBACKEND := agg

NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))
PORT ?= 8000

.PHONY: book serve test test-fast notebooks clean venv browser lab pdf tex wheelhouse

LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

venv: $(VENV)/.installed $(LAB_SETTINGS)

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# JupyterLab from the venv saves widget state with the notebook: a reopened chapter shows its explorable
# figures before any cell runs.
$(LAB_SETTINGS): | $(VENV)/.installed
	mkdir -p $(dir $@)
	echo '{"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": true}}' > $@

# The site, with its PDF edition where XeLaTeX is available (as root, `tex` installs it).
book: venv tex
	@if $(TEX_READY); then $(MAKE) --no-print-directory pdf; fi
	$(BIN)/jupyter-book build --all -W -n --keep-going .
	@echo "The book is built: open $(CURDIR)/_build/html/index.html (or run 'make serve')"

# The PDF edition: _build/latex/dlnbook.pdf (`make book` puts it on the site and links it from every page).
pdf: venv tex
	$(BIN)/jupyter-book build --all -W -n --keep-going --builder pdflatex .
	@echo "The PDF edition is built: $(CURDIR)/_build/latex/dlnbook.pdf"

serve: book
	@echo "Serving the book at http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html $(PORT)

# Re-execute every chapter in place (outputs and widget state are stored in the notebook), after
# bringing its header cells (macros, install lines) up to date with _config.yml.
notebooks: venv
	$(BIN)/python _ext/notebook_header.py
	$(BIN)/jupyter execute --inplace --timeout=1200 --kernel_name=python3 $(NOTEBOOKS)

# JupyterLab from the venv (MyST rendering, widget state saved with the notebook); --allow-root because
# containers and CI run as root. `make lab LAB_ARGS="--port 8890"` passes options on.
lab: venv
	$(BIN)/jupyter lab --allow-root $(LAB_ARGS)

# Unit/property tests and every notebook (nbval), the warning-free build, then the built site and the
# live chapters in JupyterLab, both in headless Chromium. As root (CI), a missing browser is installed
# and the browser tests must run.
# The PDF edition is built first and checked with the rest; the site then links it.
test: venv browser tex wheelhouse
	@if $(TEX_READY); then $(MAKE) --no-print-directory pdf; fi
	DLNBOOK_REQUIRE_PDF=$(AS_ROOT) $(BIN)/python -m pytest
	$(BIN)/jupyter-book build --all -W -n --keep-going .
	DLNBOOK_REQUIRE_BROWSER=$(AS_ROOT) DLNBOOK_REQUIRE_PDF=$(AS_ROOT) $(BIN)/python -m pytest tests/browser

AS_ROOT = $$([ "$$(id -u)" = 0 ] && echo 1 || echo 0)
TEX_READY = command -v xelatex >/dev/null 2>&1 && command -v latexmk >/dev/null 2>&1 && command -v pdffonts >/dev/null 2>&1
# Debian's TeX for the PDF edition: XeLaTeX, the LaTeX packages Sphinx uses, the FreeFont fonts, and
# poppler-utils for the PDF tests (about 400 MB, 1.5 minutes). Installed with apt-get when missing and root.
TEX_PACKAGES := latexmk texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
                fonts-freefont-otf poppler-utils
tex:
	@if $(TEX_READY); then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's TeX for the PDF edition"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES) >/dev/null; \
	else echo "XeLaTeX is missing and cannot be installed here (not root): no PDF edition, its tests will skip"; fi

# The library's declared dependencies as wheels, for tests/test_wheel.py, which installs the library
# into a fresh venv from them, offline.
wheelhouse: _build/wheelhouse/requirements.txt
_build/wheelhouse/requirements.txt: pyproject.toml | venv
	mkdir -p $(@D)
	$(BIN)/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > $@.tmp
	$(BIN)/python -m pip download --quiet --only-binary=:all: --dest $(@D) -r $@.tmp
	mv $@.tmp $@

# The inner loop while editing dlnbook (under two minutes): its unit and property tests and docstring
# examples, without the notebooks, the classroom build, the browser and anything marked slow.
test-fast: venv
	$(BIN)/python -m pytest -m "not (notebooks or classroom or browser or slow)" dlnbook tests

# Debian's chromium for the browser tests: installed with apt-get when missing and running as root.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is missing and cannot be installed here (not root): the browser tests will skip"; fi

clean:
	rm -rf _build

# student-book and assignments
include classroom.mk
