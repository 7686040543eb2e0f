"""Grade submissions locally: ``otter run`` with a time limit on every cell.

    python assignments/tools/grade.py SUBMISSION [SUBMISSION ...] [--time-limit 60] [--csv grades.csv]
                                      [--feedback FOLDER] [--autograder ZIP]

A submission is a student's notebook (``.ipynb``) or the zip file its last cell wrote. Each is graded
with the autograder zip that ``make assignments`` wrote for its assignment
(``assignments/dist/<name>/autograder/*.zip``, found from the assignment name stored in the notebook;
``--autograder`` picks one explicitly), exactly as ``otter run`` grades it, without Docker, in this
Python environment. The scores are printed, one line per submission; ``--csv`` also writes them to a
CSV file, and ``--feedback`` each submission's test messages to a text file.

``otter run`` itself puts no time limit on a notebook: a submission with an infinite loop never
finishes. Here every cell of the graded notebook, the test cells included, is stopped after
``--time-limit`` seconds with a ``TimeoutError``: the loop's question scores zero and grading goes
on. (A timer inside the kernel raises the error; a cell that swallows it is interrupted a little
later by the notebook executor.)
"""

import argparse
import contextlib
import csv
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "assignments" / "dist"

DEFAULT_TIME_LIMIT = 60

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
def time_limits(seconds=DEFAULT_TIME_LIMIT):
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


def assignment_name(submission):
    """The otter assignment name stored in a submitted notebook (or in the notebook inside a zip)."""
    submission = Path(submission)
    if submission.suffix == ".zip":
        with zipfile.ZipFile(submission) as archive:
            notebooks = [name for name in archive.namelist() if name.endswith(".ipynb")]
            if len(notebooks) != 1:
                raise ValueError(f"{submission}: expected one notebook in the zip file, found {notebooks}")
            nb = json.loads(archive.read(notebooks[0]))
    else:
        nb = json.loads(submission.read_text(encoding="utf-8"))
    name = nb.get("metadata", {}).get("otter", {}).get("assignment_name")
    if not name:
        raise ValueError(f"{submission}: no otter assignment name in the notebook's metadata; "
                         "pass --autograder")
    return name


def find_autograder(name, dist=DIST):
    """The autograder zip that ``make assignments`` wrote for the assignment ``name``."""
    zips = sorted((Path(dist) / name / "autograder").glob(f"{name}-autograder_*.zip"))
    if not zips:
        raise FileNotFoundError(f"no autograder zip for assignment {name!r} in {Path(dist) / name / 'autograder'}; "
                                "run `make assignments` first")
    return zips[-1]


def grade(submission, autograder=None, time_limit=DEFAULT_TIME_LIMIT):
    """Grade one submission; returns otter's ``GradingResults``."""
    import otter.run

    submission = Path(submission).resolve()
    autograder = Path(autograder) if autograder else find_autograder(assignment_name(submission))
    with time_limits(time_limit):
        return otter.run.main(str(submission), autograder=str(autograder.resolve()), output_dir=None,
                              no_logo=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", nargs="+", help="notebooks (.ipynb) or submission zip files")
    parser.add_argument("--autograder", help="the autograder zip (default: found from the assignment name)")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT,
                        help=f"seconds allowed for each cell (default: {DEFAULT_TIME_LIMIT})")
    parser.add_argument("--csv", help="also write the scores to this CSV file")
    parser.add_argument("--feedback", help="also write each submission's test results, messages included, "
                                           "to FEEDBACK/<submission name>.txt")
    args = parser.parse_args(argv)

    rows = []
    for submission in args.submissions:
        results = grade(submission, args.autograder, args.time_limit)
        if results.catastrophic_error:
            print(f"{submission}: could not be graded: {results.catastrophic_error!r}", file=sys.stderr)
        scores = {name: results.get_score(name) for name in sorted(results.results)}
        rows.append({"submission": submission, **scores, "total": results.total, "possible": results.possible})
        if args.feedback:
            Path(args.feedback).mkdir(parents=True, exist_ok=True)
            (Path(args.feedback) / f"{Path(submission).stem}.txt").write_text(results.summary(), encoding="utf-8")
        print(f"{submission}: {results.total:g} / {results.possible:g}  "
              + "  ".join(f"{name} {score:g}" for name, score in scores.items()))
    if args.csv:
        fields = list(dict.fromkeys(key for row in rows for key in row))
        with open(args.csv, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
