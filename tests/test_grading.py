"""Grading a simulated class with ``assignments/tools/grade.py``, as an instructor would.

The class hands in assignment 02 (10 points) and a few notebooks of assignment 04: honest work (full,
half right, untouched), broken work (a syntax error, infinite loops, one that swallows the timeout, a
memory hog), and hostile or gaming attempts, each on top of the same garbage answers: patching numpy,
the library or otter, rewriting the test files, shipping a ``dlnbook/`` folder in the zip, reading the
hidden tests and leaking them through failure messages, writing outside the scratch folder, reaching
the network, and calling the library functions a question asks students to write. A gaming attempt
must score exactly what the garbage answers score alone, and be flagged; nothing may be written
outside the sandbox; no hidden test may reach the feedback. Batch problems (two notebooks in a zip,
no notebook, not a zip, the notebook of another assignment, a student on the roster without a
submission) each get their row.

These tests need root (as ``make test`` runs in CI): the grader refuses to run student code without
its sandbox, which is checked too.
"""

import csv
import os
import shutil
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.classroom, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
CELL_LIMIT = 5

GARBAGE_02 = {
    "def locate_threshold(": "def locate_threshold(L, Lam):\n    return 0.0, 1.0\n",
    "kind_counts =": "kind_counts = {'global minimum': 1}\nminimum_losses = [0.0]\n",
    "def two_layer_fit(": "def two_layer_fit(Ybar, lam1, lam2, width):\n    return np.zeros(np.shape(Ybar))\n",
}
# the garbage above passes one public test (the form of q2's answer): 1 point of 10
GARBAGE_SCORE_02 = {"q1_threshold": 0, "q2_classification": 1, "q3_soft_thresholding": 0}

LIBRARY_ANSWERS_02 = {   # right answers, by calling what the questions ask students to write
    "def locate_threshold(": ("def locate_threshold(L, Lam):\n"
                              "    from dlnbook.critical import threshold\n"
                              "    lam = [Lam] + [1.0] * (L - 1)\n"
                              "    return threshold(L, lam), stationarity_roots(threshold(L, lam), L, lam)[-1]\n"),
    "kind_counts =": ("from collections import Counter\nfrom dlnbook.critical import critical_points\n"
                      "records = critical_points(problem)\n"
                      "kind_counts = dict(Counter(r.kind for r in records))\n"
                      "minimum_losses = sorted(r.loss for r in records if 'minimum' in r.kind)\n"),
    "def two_layer_fit(": ("def two_layer_fit(Ybar, lam1, lam2, width):\n"
                           "    import dlnbook\n"
                           "    p = dlnbook.Problem.from_target(Ybar, widths=[width], lam=[lam1, lam2])\n"
                           "    best = next(r for r in dlnbook.critical_points(p) if r.kind == 'global minimum')\n"
                           "    return p.product(best.W)\n"),
}

PATCH_NUMPY = """\
import numpy
np.isclose = numpy.isclose = lambda *args, **kwargs: True
np.allclose = numpy.allclose = lambda *args, **kwargs: True
"""

PATCH_LIBRARY = """\
import dlnbook, dlnbook.critical
from collections import Counter
dlnbook.critical.threshold = dlnbook.threshold = lambda L, lam: 0.0
dlnbook.critical.stationarity_roots = lambda *args, **kwargs: [1.0]
dlnbook.critical.critical_points = dlnbook.critical_points = lambda *args, **kwargs: []
"""

PATCH_OTTER = """\
import otter.test_files.abstract_test as _abstract
_abstract.TestFile.score = property(lambda self: self.possible)
_abstract.TestFile.grade = property(lambda self: 1.0)
_abstract.TestFile.passed_all = property(lambda self: True)
_real_init = _abstract.TestCaseResult.__init__
def _always_passed(self, *args, **kwargs):
    _real_init(self, *args, **kwargs)
    self.passed = True
_abstract.TestCaseResult.__init__ = _always_passed
"""

# Tries everything at once: rewrite any test file it can find, read the hidden tests and leak them
# through a public test's message, write outside its folder, reach the network, leave a process behind.
HOSTILE = """\
import glob, os, socket
from pathlib import Path
_found = []
for _pattern in ["tests/*.py", "../tests/*.py", "../../tests/*.py", "/tmp/**/tests/*.py", "{root}/assignments/*.ipynb",
                 "{root}/assignments/dist/*/autograder/tests/*.py", "{root}/assignments/dist/*/autograder/*.zip"]:
    for _path in glob.glob(_pattern, recursive=True):
        try:
            _found.append(Path(_path).read_text(errors="replace"))
            if _path.endswith(".py"):
                Path(_path).write_text(f"OK_FORMAT = False\\nname = '{{Path(_path).stem}}'\\npoints = 100\\n")
        except OSError:
            pass
for _target in ["{root}/ESCAPED", "/tmp/ESCAPED-{marker}", os.path.expanduser("~root") + "/ESCAPED-{marker}",
                "{outside}/ESCAPED"]:
    try:
        Path(_target).write_text("written by a submission")
    except OSError:
        pass
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"reached the network")
except OSError:
    pass
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "LINGER-{marker}"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)   # a process meant to outlive grading
_leak = "\\n".join(_found) or "nothing found"
"""
HOSTILE_ANSWER = ("def two_layer_fit(Ybar, lam1, lam2, width):\n"
                  "    raise AssertionError('leaked: ' + _leak)\n")


def _build(root):
    ignore = shutil.ignore_patterns("__pycache__", "dist", ".ipynb_checkpoints")
    shutil.copytree(ROOT / "assignments", root / "assignments", ignore=ignore)
    shutil.copytree(ROOT / "dlnbook", root / "dlnbook", ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")
    done = subprocess.run([PYTHON, root / "assignments" / "tools" / "build.py", "02_critical_points",
                           "04_linear_convergence"], cwd=root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    _build(root)
    return root


def solution(root, name):
    return nbformat.read(root / "assignments" / "dist" / name / "autograder" / f"{name}.ipynb", as_version=4)


def answered(root, name, answers, extra=None):
    """The solution notebook with the answer cells replaced (keys: text in the solution cell)."""
    nb = solution(root, name)
    cells = [cell for cell in nb.cells if "otter_assign_solution_cell" in cell.metadata.get("tags", [])]
    for key, source in answers.items():
        next(cell for cell in cells if key in cell.source).source = source
    if extra:   # a cell of the student's own, right after the imports
        position = next(i for i, cell in enumerate(nb.cells) if "import numpy" in cell.source) + 1
        nb.cells.insert(position, nbformat.v4.new_code_cell(extra))
    return nb


def write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def zipped(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def simulated_class(root, folder, port, outside):
    """The submissions of assignment 02: {student id: path}."""
    name = "02_critical_points"
    handout = root / "assignments" / "dist" / name / "student" / f"{name}.ipynb"
    half = dict(GARBAGE_02, **{"def locate_threshold(": solution(root, name).cells[4].source})
    hostile = HOSTILE.format(root=root, marker=port, port=port, outside=outside)
    loops = dict(GARBAGE_02, **{
        "def locate_threshold(": "def locate_threshold(L, Lam):\n    while True:\n        pass\n",
        "kind_counts =": ("try:\n    while True:\n        pass\nexcept BaseException:\n    while True:\n        pass\n"
                          "kind_counts = {'global minimum': 1}\nminimum_losses = [0.0]\n"),
    })
    loops.pop("def two_layer_fit(")            # the right answer stays
    memory = dict(GARBAGE_02, **{"kind_counts =": "hog = np.ones(10**11)\n" + GARBAGE_02["kind_counts ="]})
    library = dlnbook_with_wrong_answers(root)
    shipped = {f"{name}.ipynb": nbformat.writes(answered(root, name, GARBAGE_02)), **library}
    submissions = {
        "honest": write(solution(root, name), folder / f"honest_{name}.ipynb"),
        "untouched": write(nbformat.read(handout, as_version=4), folder / f"untouched_{name}.ipynb"),
        "half": write(answered(root, name, half), folder / f"half_{name}.ipynb"),
        "syntax": write(answered(root, name, {"def locate_threshold(": "def locate_threshold(L, Lam)\n    return 1\n"}),
                        folder / f"syntax_{name}.ipynb"),
        "loops": write(answered(root, name, loops), folder / f"loops_{name}.ipynb"),
        "memory": write(answered(root, name, memory), folder / f"memory_{name}.ipynb"),
        "garbage": write(answered(root, name, GARBAGE_02), folder / f"garbage_{name}.ipynb"),
        "numpy": write(answered(root, name, GARBAGE_02, PATCH_NUMPY), folder / f"numpy_{name}.ipynb"),
        "library": write(answered(root, name, GARBAGE_02, PATCH_LIBRARY), folder / f"library_{name}.ipynb"),
        "otter": write(answered(root, name, GARBAGE_02, PATCH_OTTER), folder / f"otter_{name}.ipynb"),
        "hostile": write(answered(root, name, dict(GARBAGE_02, **{"def two_layer_fit(": HOSTILE_ANSWER}), hostile),
                         folder / f"hostile_{name}.ipynb"),
        "shipped": zipped(folder / f"shipped_{name}.zip", shipped),
        "forbidden": write(answered(root, name, LIBRARY_ANSWERS_02), folder / f"forbidden_{name}.ipynb"),
    }
    return submissions


def dlnbook_with_wrong_answers(root):
    """A dlnbook/ folder to ship in a zip: the real one, with the reference answers made to match garbage."""
    files = {}
    for path in (root / "dlnbook").glob("*.py"):
        files[f"dlnbook/{path.name}"] = path.read_text(encoding="utf-8")
    files["dlnbook/critical.py"] += ("\n\ndef threshold(L, lam):\n    return 0.0\n\n"
                                     "def stationarity_roots(*args, **kwargs):\n    return [1.0]\n\n"
                                     "def critical_points(*args, **kwargs):\n    return []\n")
    return files


def batch_problems(root, folder):
    """Submissions that cannot be graded, each for its own reason: {student id: (path, status fragment)}."""
    name = "02_critical_points"
    notebook = nbformat.writes(solution(root, name))
    other = root / "assignments" / "dist" / "04_linear_convergence" / "student" / "04_linear_convergence.ipynb"
    foreign = nbformat.read(other, as_version=4)
    unnamed = nbformat.read(other, as_version=4)
    unnamed.metadata.pop("otter")
    return {
        "twice": (zipped(folder / "twice_02.zip", {"a.ipynb": notebook, "b.ipynb": notebook}), "2 notebooks"),
        "empty": (zipped(folder / "empty_02.zip", {"notes.txt": "no notebook"}), "0 notebooks"),
        "pdf": (_text(folder / "pdf_02.pdf", "%PDF-1.4 a printout instead of the notebook"), "not a notebook"),
        "broken": (_text(folder / "broken_02.ipynb", "{ this is not json"), "could not be read"),
        "wrongone": (write(foreign, folder / "wrongone_02.ipynb"), "assignment 04_linear_convergence, not 02"),
        "unnamed": (write(unnamed, folder / "unnamed_02.ipynb"), "does not look like a notebook of assignment 02"),
    }


def _read(path):
    try:
        return path.read_bytes()
    except OSError:                                   # the process ended meanwhile
        return b""


def _text(path, text):
    path.write_text(text)
    return path


class Listener:
    """A TCP server on 127.0.0.1: records whether anything connected."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.5)
        self.port = self.server.getsockname()[1]
        self.connections, self.running = 0, True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                self.server.accept()[0].close()
                self.connections += 1
            except OSError:
                pass

    def close(self):
        self.running = False
        self.thread.join()
        self.server.close()


def autograder(root, name):
    """The autograder zip built for this test (never the checkout's own assignments/dist)."""
    return next((root / "assignments" / "dist" / name / "autograder").glob("*.zip"))


def grade(*args, cwd):
    return subprocess.run([PYTHON, ROOT / "assignments" / "tools" / "grade.py", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def graded_class(built, tmp_path_factory):
    """The class of assignment 02 graded in one batch, with a roster: (rows by id, feedback folder, ...)."""
    folder = tmp_path_factory.mktemp("submissions")
    outside = tmp_path_factory.mktemp("outside")
    os.chmod(outside, 0o777)                      # writable by anyone: only the sandbox keeps a submission out
    listener = Listener()
    try:
        submissions = simulated_class(built, folder, listener.port, outside)
        problems = batch_problems(built, folder)
        roster = folder / "roster.csv"
        enrolled = [s for s in [*submissions, *problems, "absent"] if s != "syntax"]       # syntax is not enrolled
        roster.write_text("id,name\n" + "".join(f"{s},Student {s}\n" for s in enrolled))
        out = tmp_path_factory.mktemp("grades")
        done = grade("--assignment", "02_critical_points", "--autograder", autograder(built, "02_critical_points"),
                     "--cell-time-limit", CELL_LIMIT, "--time-limit", 240, "--roster", roster,
                     "--csv", out / "grades.csv", "--feedback", out / "feedback",
                     *submissions.values(), *[p for p, _ in problems.values()], cwd=out)
    finally:
        listener.close()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(done.stdout)                               # the score table, shown with -s
    with open(out / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    return rows, out / "feedback", problems, listener, outside, built


def points(row):
    return {q: float(row[q]) for q in GARBAGE_SCORE_02}


def test_honest_work_is_graded_right(graded_class):
    rows = graded_class[0]
    assert points(rows["honest"]) == {"q1_threshold": 3, "q2_classification": 4, "q3_soft_thresholding": 3}
    assert float(rows["honest"]["total"]) == float(rows["honest"]["possible"]) == 10
    assert rows["honest"]["flags"] == "" and rows["honest"]["status"] == "graded"
    assert float(rows["untouched"]["total"]) == 0
    assert points(rows["half"]) == dict(GARBAGE_SCORE_02, q1_threshold=3)
    assert points(rows["garbage"]) == GARBAGE_SCORE_02


def test_broken_work_is_graded_question_by_question(graded_class):
    rows = graded_class[0]
    assert points(rows["syntax"]) == {"q1_threshold": 0, "q2_classification": 4, "q3_soft_thresholding": 3}
    assert "SyntaxError" in rows["syntax"]["flags"]
    # an infinite loop when called, one at the top of a cell that swallows the timeout: the rest is graded
    assert points(rows["loops"]) == {"q1_threshold": 0, "q2_classification": 0, "q3_soft_thresholding": 3}
    assert f"stopped after {CELL_LIMIT} s" in rows["loops"]["flags"]
    assert points(rows["memory"]) == dict(GARBAGE_SCORE_02, q2_classification=0)
    assert "MemoryError" in rows["memory"]["flags"]


@pytest.mark.parametrize("student", ["numpy", "library", "otter", "hostile", "shipped"])
def test_gaming_scores_what_the_garbage_scores_and_is_flagged(graded_class, student):
    rows = graded_class[0]
    assert points(rows[student]) == GARBAGE_SCORE_02, rows[student]
    assert rows[student]["status"] == "graded"
    assert rows[student]["flags"], f"{student}: the attempt is not flagged"


def test_library_functions_a_question_asks_for_earn_nothing(graded_class):
    row = graded_class[0]["forbidden"]
    assert points(row) == {"q1_threshold": 0, "q2_classification": 0, "q3_soft_thresholding": 0}
    for question, function in [("q1_threshold", "threshold"), ("q2_classification", "critical_points"),
                               ("q3_soft_thresholding", "critical_points")]:
        assert f"{question}: uses" in row["flags"] and function in row["flags"]


def test_a_submission_cannot_leave_its_sandbox(graded_class):
    rows, feedback, _, listener, outside, root = graded_class
    assert listener.connections == 0, "a submission reached the network"
    for escaped in [root / "ESCAPED", Path(f"/tmp/ESCAPED-{listener.port}"), Path("/root") / f"ESCAPED-{listener.port}",
                    outside / "ESCAPED"]:
        assert not escaped.exists(), f"a submission wrote {escaped}"
    # what the hostile notebook found (and put in its answer's error message) is nothing of the instructor's
    message = (feedback / "hostile.txt").read_text()
    assert "leaked: nothing found" in message, message
    assert not [p for p in Path("/proc").glob("[0-9]*/cmdline") if f"LINGER-{listener.port}".encode() in _read(p)], \
        "a process of the submission outlived its grading"


def test_feedback_never_shows_hidden_tests(graded_class):
    rows, feedback, *_ = graded_class
    autograder = next((graded_class[5] / "assignments" / "dist" / "02_critical_points" / "autograder").glob("*.zip"))
    with zipfile.ZipFile(autograder) as archive:
        hidden_lines = {line.strip() for name in archive.namelist() if name.startswith("tests/")
                        for line in archive.read(name).decode().split("hidden=True", 1)[-1].splitlines()
                        if len(line.strip()) > 25}
    assert len(hidden_lines) >= 5
    texts = {path.stem: path.read_text() for path in feedback.glob("*.txt")}
    assert set(rows) - {"absent"} <= set(texts), "a feedback file for every submission"
    for student, text in texts.items():
        assert "hidden=True" not in text and not [line for line in hidden_lines if line in text], student
    # flags meant for the instructor stay out of what students read; failed cells are in
    assert "possible tampering" in rows["numpy"]["flags"] and "possible tampering" not in texts["numpy"]
    assert "not on the roster" not in texts["syntax"] and "SyntaxError" in texts["syntax"]
    honest, garbage = texts["honest"], texts["garbage"]
    assert "Score: 10 / 10" in honest and "hidden tests (2 points): 1 of 1 passed" in honest
    assert "public test" in garbage and "failed" in garbage and "hidden tests (3 points): 0 of 1 passed" in garbage


def test_every_submission_gets_a_row(graded_class):
    rows, _, problems, *_ = graded_class
    for student, (_, why) in problems.items():
        assert why in rows[student]["status"], (student, rows[student]["status"])
        assert float(rows[student]["total"]) == 0
    assert rows["absent"]["status"] == "missing" and rows["absent"]["submission"] == ""
    assert "not on the roster: syntax" in rows["syntax"]["flags"] and rows["syntax"]["status"] == "graded"
    assert "ignored the other files in the zip: dlnbook/" in rows["shipped"]["flags"]


MUTATES_W0 = """\
def gd_run(problem, W0, step, iterations):
    W = W0                                   # no copy: the updates below change the caller's arrays
    norms = []
    for k in range(iterations + 1):
        G = problem.grad(W)
        norms.append(np.sqrt(sum(np.sum(g * g) for g in G)))
        if k < iterations:
            for layer, g in zip(W, G):
                layer -= step * g
    return [layer.copy() for layer in W], np.array(norms)
"""
LIBRARY_GD_RUN = """\
def gd_run(problem, W0, step, iterations):
    run = gradient_descent(problem, W0, step=step, max_iter=iterations, tol=0.0)
    return run.W, run.grad_norm
"""
GARBAGE_GD_RUN = "def gd_run(problem, W0, step, iterations):\n    return W0, np.zeros(iterations + 1)\n"


def test_assignment_04_functions_are_called_back_faithfully(built, tmp_path):
    """A function that changes its arguments in place is seen doing so; one that calls the library's
    gradient descent earns nothing; patching numpy does not help garbage (assignment 04)."""
    name = "04_linear_convergence"
    submissions = [write(answered(built, name, {"def gd_run(": source}, extra), tmp_path / f"{student}_{name}.ipynb")
                   for student, source, extra in [("mutates", MUTATES_W0, None), ("library", LIBRARY_GD_RUN, None),
                                                  ("garbage", GARBAGE_GD_RUN, None),
                                                  ("numpy", GARBAGE_GD_RUN, PATCH_NUMPY)]]
    done = grade("--assignment", name, "--autograder", autograder(built, name), "--cell-time-limit", 60,
                 "--csv", tmp_path / "grades.csv", *submissions, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(done.stdout)
    with open(tmp_path / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    full = {"q2_fit_rate": 3, "q3_predicted_rate": 3, "q4_largest_step": 2}
    scores = {student: {q: float(row[q]) for q in ["q1_gd_run", *full]} for student, row in rows.items()}
    # right results, but W0 changed: the tests' reference runs start from the changed W0 and disagree
    # (were the arguments copies, it would score the 3 points of the solution)
    assert scores["mutates"] == {"q1_gd_run": 0, **full}, "the tests must see W0 changed"
    assert scores["library"] == {"q1_gd_run": 0, **full} and "q1_gd_run: uses gradient_descent" in rows["library"]["flags"]
    assert scores["garbage"] == scores["numpy"] == {"q1_gd_run": 0, **full}
    assert "possible tampering" in rows["numpy"]["flags"] and rows["garbage"]["flags"] == ""


def test_the_grader_refuses_to_run_without_its_sandbox(built, tmp_path, monkeypatch, capsys):
    """Where it cannot sandbox (here: not root), grading stops before running anything, unless told otherwise."""
    sys.path.insert(0, str(ROOT / "assignments" / "tools"))
    try:
        import grade
    finally:
        sys.path.remove(str(ROOT / "assignments" / "tools"))
    assert grade.sandbox_problem() is None, "make test runs as root, where the grader can sandbox"
    notebook = write(solution(built, "02_critical_points"), tmp_path / "alice_02.ipynb")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "needs root" in grade.sandbox_problem()
    assert grade.main(["--assignment", "02_critical_points", "--csv", str(tmp_path / "grades.csv"), str(notebook)]) == 2
    out = capsys.readouterr()
    assert "refusing to grade" in out.err and "--no-sandbox" in out.err
    assert "alice" not in out.out and not (tmp_path / "grades.csv").exists()
