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

.PHONY: book serve test notebooks clean venv

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

book: venv
	$(BIN)/jupyter-book build --all -W -n --keep-going .
	@echo "The book is built: open $(CURDIR)/_build/html/index.html (or run 'make serve')"

serve: book
	@echo "Serving the book at http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html $(PORT)

# Re-execute every chapter in place (outputs and widget state are stored in the notebook).
notebooks: venv
	$(BIN)/jupyter execute --inplace --timeout=1200 --kernel_name=python3 $(NOTEBOOKS)

test: venv
	$(BIN)/python -m pytest
	$(BIN)/jupyter-book build --all -W -n --keep-going .

clean:
	rm -rf _build
