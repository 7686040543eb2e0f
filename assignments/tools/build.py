"""Write the student and autograder versions of every assignment (``make assignments``).

    python assignments/tools/build.py [NAME ...] [--force]

Each master notebook ``assignments/NN_name.ipynb`` becomes the folder ``assignments/dist/NN_name/``:

* ``student/``: the notebook to hand out (no solutions, public tests only) and a copy of ``dlnbook``;
* ``autograder/``: the solution notebook, every test (hidden ones too), and the Gradescope autograder
  zip ``NN_name-autograder_<time>.zip`` (which also carries ``dlnbook`` and the requirements).

Otter Assign runs in a staging folder inside ``assignments/dist/`` (the master notebook,
``defaults.yml``, a copy of the ``dlnbook`` package and a ``requirements.txt`` made from the
dependencies in ``pyproject.toml``), and checks that the solutions pass every test. Nothing is
written outside ``assignments/dist/``, temporary files included.

A finished folder is replaced only if it is exactly as this script left it (``.generated.json``
lists its files and their hashes): a notebook somebody has been working on in it is never
overwritten. Such an assignment is skipped with a message; ``--force`` replaces it anyway.
Give assignment names (``01_regularized_loss``) to build only those.

``--term-seed N`` (``make assignments TERM_SEED=N``) builds this term's variant: every literal random
seed of a master's questions is replaced by one derived from N, so the handed-out data, the solutions
and the tests change together, and otter assign checks that the solutions still pass every test (a seed
whose variant fails that check is reported: pick another). The default, 0, builds the masters as
written. Only seeded data changes; fixed numbers in a question stay as they are.
"""

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import tomllib

import yaml
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ASSIGNMENTS = TOOLS.parent
ROOT = ASSIGNMENTS.parent
DIST = ASSIGNMENTS / "dist"
MANIFEST = ".generated.json"

# A cell run before the notebook's own: from then on, each cell is given `seconds` seconds.
_TIMER_CELL = """\
import signal as _grading_signal
from IPython import get_ipython as _grading_ipython

def _grading_time_is_up(signum, frame):
    # keep the timer running: a second slow call in the same cell is stopped as well
    _grading_signal.setitimer(_grading_signal.ITIMER_REAL, {seconds})
    raise TimeoutError("stopped after {seconds} s: this cell, or a function it calls, runs too long "
                       "(an infinite loop?)")

if hasattr(_grading_signal, "setitimer"):
    _grading_signal.signal(_grading_signal.SIGALRM, _grading_time_is_up)
    _grading_ipython().events.register(
        "pre_run_cell", lambda info: _grading_signal.setitimer(_grading_signal.ITIMER_REAL, {seconds}))
    _grading_ipython().events.register(
        "post_run_cell", lambda result: _grading_signal.setitimer(_grading_signal.ITIMER_REAL, 0))
"""


@contextlib.contextmanager
def time_limits(seconds):
    """Within this block, otter's notebook grading stops every cell after ``seconds`` seconds.

    Otter 7 grades a notebook with ``otter.execute.grade_notebook``: its ``GradingPreprocessor``
    adds otter's own cells, and nbconvert's ``ExecutePreprocessor`` runs the result with no time
    limit. Here the first adds one more cell, the timer above, and the second gets a per-cell
    timeout (a backstop for code that catches the ``TimeoutError``): the kernel is interrupted and
    the cell recorded as failed. Both are restored on leaving the block.
    """
    import nbconvert.preprocessors
    import nbformat
    from otter.execute.preprocessor import GradingPreprocessor

    seconds = float(seconds)
    if not seconds > 0:
        raise ValueError(f"the time limit must be a positive number of seconds, got {seconds}")
    backstop = int(4 * seconds + 30)
    original_preprocess = GradingPreprocessor.preprocess
    original_executor = nbconvert.preprocessors.ExecutePreprocessor

    def preprocess(self, nb, resources=None):
        nb, resources = original_preprocess(self, nb, resources)
        # after otter's first cell (it imports otter, which is slow), before the notebook's own
        nb.cells.insert(1, nbformat.v4.new_code_cell(_TIMER_CELL.format(seconds=seconds)))
        return nb, resources

    class TimedExecutePreprocessor(original_executor):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.timeout = backstop
            self.interrupt_on_timeout = True
            self.error_on_timeout = {
                "ename": "TimeoutError",
                "evalue": f"the cell was interrupted after {backstop} s",
                "traceback": [f"TimeoutError: the cell was interrupted after {backstop} s"],
            }

    GradingPreprocessor.preprocess = preprocess
    nbconvert.preprocessors.ExecutePreprocessor = TimedExecutePreprocessor
    try:
        yield
    finally:
        GradingPreprocessor.preprocess = original_preprocess
        nbconvert.preprocessors.ExecutePreprocessor = original_executor


# Per-cell limit while otter assign runs the solutions through the autograder.
SELF_CHECK_TIME_LIMIT = 300


def masters(names=()):
    """The master notebooks ``assignments/NN_*.ipynb``, in order (only ``names`` if given)."""
    found = sorted(ASSIGNMENTS.glob("[0-9][0-9]_*.ipynb"))
    if names:
        known = {path.stem: path for path in found}
        missing = [name for name in names if name not in known]
        if missing:
            raise SystemExit(f"no master notebook assignments/<name>.ipynb for {missing}; "
                             f"the assignments are {sorted(known)}")
        found = [known[name] for name in names]
    return found


def requirements():
    """The library's runtime dependencies, from pyproject.toml: what the autograder installs."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return "\n".join(project["dependencies"]) + "\n"


def _files(folder):
    """{relative path: sha256} of the files under ``folder`` (bytecode caches and the manifest aside)."""
    hashes = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and "__pycache__" not in relative.parts and relative.as_posix() != MANIFEST:
            hashes[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def changes(folder):
    """What differs in ``folder`` from what this script wrote there (empty: nothing changed)."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return [f"{MANIFEST} is missing, so the folder may hold work that is not ours"]
    recorded = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    current = _files(folder)
    return ([f"{path} was added" for path in current.keys() - recorded.keys()]
            + [f"{path} was removed" for path in recorded.keys() - current.keys()]
            + [f"{path} was changed" for path in recorded.keys() & current.keys()
               if recorded[path] != current[path]])


TEST_CONFIG = re.compile(r'^""" # BEGIN TEST CONFIG\n(?P<config>.*?)""" # END TEST CONFIG\n', flags=re.S)


def annotate_public_tests(path):
    """Give each public test its share of the points and a message that says hidden tests carry the rest.

    Otherwise ``grader.check`` prints "All test cases passed!" for a question whose points sit
    mostly in hidden tests, and otter, which counts a public test without points as the whole
    question while the student works but as its share when grading, warns that the score "differs
    from logged score" on honest work. A question whose public tests already have points is left
    as it is.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    question, tests = None, None
    for cell in nb.cells:
        text = cell.source.strip()
        if cell.cell_type == "raw" and text.startswith("# BEGIN QUESTION"):
            question = yaml.safe_load(text.split("\n", 1)[1])
        elif cell.cell_type == "raw" and text.startswith("# BEGIN TESTS"):
            tests = []
        elif cell.cell_type == "raw" and text.startswith("# END TESTS"):
            _annotate(question, tests)
            tests = None
        elif tests is not None and cell.cell_type == "code":
            tests.append(cell)
    nbformat.write(nb, path)


def _annotate(question, cells):
    configs = []
    for cell in cells:
        found = TEST_CONFIG.match(cell.source)
        configs.append(yaml.safe_load(found["config"]) if found else {})
    public = [i for i, config in enumerate(configs) if not config.get("hidden", False)]
    if not public or any("points" in configs[i] for i in public) or "points" not in question:
        return
    total = float(question["points"])
    hidden = sum(float(config.get("points", 0)) for config in configs if config.get("hidden", False))
    share = (total - hidden) / len(public)
    for i in public:
        rest = f"the hidden tests, run only when your submission is graded, carry the other {hidden:g}"
        config = dict(configs[i], points=share,
                      success_message=f"this public test gives {share:g} of the {total:g} points of "
                                      f"{question['name']}; {rest}: passing it does not mean the answer is right",
                      failure_message=f"this public test is worth {share:g} of the {total:g} points of "
                                      f"{question['name']}; {rest}")
        body = TEST_CONFIG.sub("", cells[i].source, count=1)
        cells[i].source = f'""" # BEGIN TEST CONFIG\n{yaml.safe_dump(config, sort_keys=False, width=1000)}""" # END TEST CONFIG\n{body}'


SEED_LITERAL = re.compile(r"\b(seed=|default_rng\()(\d+)\b")


def term_seed_value(seed, term_seed):
    """The seed that replaces the literal ``seed`` in the variant of the term ``term_seed``."""
    return int(hashlib.sha256(f"{term_seed}:{seed}".encode()).hexdigest()[:8], 16) % 100_000


def make_variant(path, term_seed):
    """Replace the literal random seeds of the master's questions (``seed=7``, ``default_rng(12)`` in the
    handed-out cells and the solutions) by ones derived from ``term_seed``, everywhere they occur, tests
    included: the handed-out data, the solutions and the tests that rebuild the notebook's problems
    change together. Seeds that only tests use (their own random cases) stay. Term seed 0 leaves the
    master as written."""
    if not term_seed:
        return
    import nbformat
    nb = nbformat.read(path, as_version=4)
    used, in_tests = set(), False
    for cell in nb.cells:
        text = cell.source.strip()
        if cell.cell_type == "raw" and text.startswith(("# BEGIN TESTS", "# END TESTS")):
            in_tests = text.startswith("# BEGIN TESTS")
        elif cell.cell_type == "code" and not in_tests:
            used.update(m[0] for m in SEED_LITERAL.finditer(cell.source))

    def vary(match):
        return f"{match[1]}{term_seed_value(int(match[2]), term_seed)}" if match[0] in used else match[0]

    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = SEED_LITERAL.sub(vary, cell.source)
    nbformat.write(nb, path)


def build(master, force=False, term_seed=0):
    """Build one assignment into ``DIST / master.stem``; returns False if it was skipped."""
    name = master.stem
    target = DIST / name
    if target.exists() and not force:
        changed = changes(target)
        if changed:
            print(f"{name}: skipped, assignments/dist/{name} is not as generated "
                  f"({'; '.join(sorted(changed)[:5])}). Copy any work out of it, then delete it "
                  f"(or run with --force) to rebuild it.", file=sys.stderr)
            return False

    DIST.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".stage-{name}-", dir=DIST))
    saved_tempdir, saved_environ = tempfile.tempdir, os.environ.get("TMPDIR")
    try:
        (stage / "tmp").mkdir()
        tempfile.tempdir = os.environ["TMPDIR"] = str(stage / "tmp")   # otter's temporary files too
        shutil.copy2(master, stage / master.name)
        make_variant(stage / master.name, term_seed)
        annotate_public_tests(stage / master.name)
        shutil.copy2(ASSIGNMENTS / "defaults.yml", stage / "defaults.yml")
        shutil.copytree(ROOT / "dlnbook", stage / "dlnbook",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (stage / "requirements.txt").write_text(requirements(), encoding="utf-8")

        from otter.assign import main as otter_assign

        with time_limits(SELF_CHECK_TIME_LIMIT):
            otter_assign(str(stage / master.name), str(stage / "out"), no_pdfs=True)

        if target.exists():
            shutil.rmtree(target)
        (stage / "out").rename(target)
        (target / MANIFEST).write_text(json.dumps({"term_seed": term_seed, "files": _files(target)}, indent=1) + "\n",
                                       encoding="utf-8")
        return True
    finally:
        tempfile.tempdir = saved_tempdir
        if saved_environ is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_environ
        shutil.rmtree(stage, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="assignments to build (default: all)")
    parser.add_argument("--term-seed", type=int, default=0,
                        help="a number for this term: every literal random seed in the masters is replaced by one "
                             "derived from it, so the data (and the answers) change; 0, the default, builds the "
                             "masters as written")
    parser.add_argument("--force", action="store_true",
                        help="replace output folders even if they were changed since they were built")
    args = parser.parse_args(argv)

    failed = []
    for master in masters(args.names):
        start = time.perf_counter()
        try:
            built = build(master, force=args.force, term_seed=args.term_seed)
        except Exception as error:   # report it, and go on with the other assignments
            print(f"{master.stem}: FAILED: {error}", file=sys.stderr)
            failed.append(master.stem)
            continue
        if built:
            print(f"{master.stem}: built in {time.perf_counter() - start:.0f} s: "
                  f"assignments/dist/{master.stem}/student and .../autograder")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
