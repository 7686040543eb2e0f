"""Grade a batch of submissions locally, each in a sandbox, with the hidden tests out of its reach.

    python assignments/tools/grade.py --assignment NAME SUBMISSION [SUBMISSION ...]
        [--csv grades.csv] [--feedback FOLDER] [--roster roster.csv] [--id-pattern REGEX]
        [--cell-time-limit 60] [--time-limit 600] [--memory-limit 4] [--autograder ZIP] [--no-sandbox]

A submission is a student's notebook (``.ipynb``) or the zip file its last cell wrote. Grading
happens in two steps, in two processes:

1. **The student's process** (``run_notebook.py``) runs the notebook in a sandbox that this command
   sets up itself (as root): a new network namespace with no network; a new mount namespace whose
   root holds only the system's read-only folders (``/usr``, ``/etc``, ...), the Python environment
   (read-only) and a scratch folder with the notebook and the student edition of ``dlnbook`` (the
   copy in the autograder zip, never one shipped in a submission); the unprivileged user ``nobody``;
   limits on CPU time, memory, file size and processes; a time limit per cell and on the whole
   submission. The repository, the hidden tests, the other submissions and the grades are not there.
2. **This process** loads the autograder's tests and its copy of ``dlnbook``, asks the student's
   process for the values of the names the tests use, and runs the tests on them. A student's
   function is called back in the student's process, and only plain data (numbers, arrays, lists,
   ``dlnbook.Problem``, see ``answers.py``) crosses. So a notebook that patches ``numpy``, ``dlnbook``
   or otter, or rewrites test files, changes nothing the tests see.

A question that asks students to write what ``dlnbook`` already has names those library functions in
``assignments/integrity.yml``; calling one from the student's own code (recorded in the student's
process, and looked for in the question's cells) gives that question no points, and is flagged.

Every submission gets a row in the CSV, whatever is wrong with it (``status``: ``graded``, or why it
was not: not a notebook or a zip, no notebook or several in the zip, the notebook of another
assignment, ...). Rows are keyed by the student's identifier: from the file name (the part matched
by ``--id-pattern``, by default everything before the first ``_`` or ``.``; ``alice_02.zip`` is
``alice``), checked against ``--roster`` (a CSV file with an ``id`` column) when given, where a
student without a submission gets a ``missing`` row. ``--feedback`` writes ``FOLDER/<id>.txt`` for
each student: points per question, the messages of the public tests, and for hidden tests only how
many passed, never their source or messages.

Without root or namespaces the command stops and says so; ``--no-sandbox`` grades anyway, in plain
processes that run with your rights (only for notebooks you trust, such as your own solutions).
"""

import argparse
import csv
import io
import json
import os
import queue
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import zipfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parents[1]
DIST = ROOT / "assignments" / "dist"
INTEGRITY = ROOT / "assignments" / "integrity.yml"

sys.path.insert(0, str(TOOLS))
import answers  # noqa: E402
from run_notebook import QUESTION, questions_of  # noqa: E402

DEFAULT_CELL_TIME_LIMIT = 60          # seconds for each cell, and for each call of a student's function
DEFAULT_TIME_LIMIT = 600              # seconds for a whole submission, tests included
DEFAULT_MEMORY_LIMIT = 4              # GiB of address space for the student's process
DEFAULT_ID_PATTERN = r"^(?P<id>[^_.]+)"
MAX_REPLY = 256 * 2**20               # characters in one answer from the student's process
NOBODY = 65534
SYSTEM_FOLDERS = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc"]
INSTRUCTOR_ONLY = ("possible tampering", "not on the roster")   # flags left out of a student's feedback
TAMPERING = [   # what a notebook has no reason to do; flagged for the instructor, it changes no score
    (r"\b(np|numpy|dlnbook|otter|builtins)\s*\.\s*[\w.]+\s*=[^=]", "assigns to an attribute of numpy, dlnbook or otter"),
    (r"\bsetattr\s*\(", "calls setattr"),
    (r"\bmock\b|\bmonkeypatch\b", "uses mock or monkeypatch"),
    (r"\btests?/|\.py['\"]|autograder", "refers to test files or the autograder"),
    (r"\bimport\s+otter|from\s+otter\b", "imports otter"),
    (r"__import__|importlib|sys\.modules|\bexec\s*\(|\beval\s*\(", "imports or runs code indirectly"),
    (r"\bsocket\b|urllib|requests\.|http\.client", "tries to use the network"),
]


# --- the sandbox -----------------------------------------------------------------------------------

def sandbox_problem():
    """Why this machine cannot sandbox the student's process (None if it can)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "grading in a sandbox needs root (to set up namespaces and switch to the user nobody)"
    for tool in ("unshare", "setpriv", "mount", "chroot"):
        if not shutil.which(tool):
            return f"grading in a sandbox needs the command {tool} (util-linux / coreutils)"
    probe = subprocess.run(["unshare", "--net", "--mount", "--pid", "--fork", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"this machine does not allow new network and mount namespaces: {probe.stderr.strip()}"
    return None


# Runs as root in the new namespaces: build a root with only what the notebook needs, then become nobody.
_SANDBOX_SCRIPT = r"""
set -e
N="$SANDBOX_ROOT"
mount --make-rprivate /
mount -t tmpfs -o mode=0755,size=16m tmpfs "$N"
for d in $SANDBOX_READONLY; do
  [ -e "$d" ] || continue
  if [ -L "$d" ]; then mkdir -p "$N$(dirname "$d")"; ln -s "$(readlink "$d")" "$N$d"; continue; fi
  mkdir -p "$N$d"; mount --rbind "$d" "$N$d"; mount -o remount,bind,ro "$N$d"
done
mkdir -p "$N/dev"
for f in null zero random urandom; do touch "$N/dev/$f"; mount --bind "/dev/$f" "$N/dev/$f"; done
mkdir -p "$N$SANDBOX_SCRATCH"; mount --bind "$SANDBOX_SCRATCH" "$N$SANDBOX_SCRATCH"
exec chroot "$N" setpriv --reuid=$SANDBOX_UID --regid=$SANDBOX_UID --clear-groups --no-new-privs -- "$@"
"""


def _limits(cpu_seconds, memory_bytes, sandboxed):
    def apply():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 2**20, 256 * 2**20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if sandboxed:
            resource.setrlimit(resource.RLIMIT_NPROC, (64, 64))   # counted for nobody once it switches
    return apply


class StudentProcess:
    """The student's process: runs the notebook, then answers requests (see ``run_notebook.py``)."""

    def __init__(self, notebook, workspace, library, forbidden, cell_limit, total_limit, memory_gib, sandboxed):
        self.scratch = workspace / "scratch"
        self.scratch.mkdir()
        runner = workspace / "runner"
        runner.mkdir()
        for name in ("run_notebook.py", "answers.py"):
            shutil.copy2(TOOLS / name, runner / name)
        shutil.copytree(library, self.scratch / "dlnbook", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy2(notebook, self.scratch / notebook.name)
        self.cell_limit = cell_limit
        command = [sys.executable, "-I", str(runner / "run_notebook.py"), str(self.scratch / notebook.name),
                   "--cell-time-limit", str(cell_limit), "--forbidden", json.dumps(forbidden)]
        environment = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.scratch), "TMPDIR": str(self.scratch),
                       "MPLCONFIGDIR": str(self.scratch / ".matplotlib"), "IPYTHONDIR": str(self.scratch / ".ipython"),
                       "OMP_NUM_THREADS": "1", "MPLBACKEND": "agg", "PYTHONHASHSEED": "0",
                       "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
        if sandboxed:
            os.chmod(workspace, 0o711)
            os.chmod(runner, 0o755)
            for path in [self.scratch, *self.scratch.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
            (workspace / "root").mkdir()
            prefix = Path(sys.prefix)
            python = {str(prefix), str(prefix.resolve()), str(Path(sys.base_prefix).resolve())}  # venv and its Python
            readonly = SYSTEM_FOLDERS + sorted(python - set(SYSTEM_FOLDERS)) + [str(runner)]
            environment.update(SANDBOX_ROOT=str(workspace / "root"), SANDBOX_SCRATCH=str(self.scratch),
                               SANDBOX_READONLY=" ".join(readonly), SANDBOX_UID=str(NOBODY))
            # --pid: when the notebook's process ends, every process it started ends with it
            command = ["unshare", "--net", "--mount", "--pid", "--fork", "sh", "-c", _SANDBOX_SCRIPT, "sandbox", *command]
        self.process = subprocess.Popen(
            command, cwd=self.scratch, env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8",
            preexec_fn=_limits(int(total_limit), int(memory_gib * 2**30), sandboxed))
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.stderr = []
        threading.Thread(target=lambda: self.stderr.extend(self.process.stderr), daemon=True).start()
        self.dead = None
        self.uses = []          # [(question, library function)] the notebook's own code called

    def _read(self):
        while True:
            line = self.process.stdout.readline(MAX_REPLY)
            if not line:
                break
            if not line.endswith("\n"):
                self.kill(f"it sent an answer of more than {MAX_REPLY // 2**20} MB")
                break
            self.lines.put(line)
        self.lines.put(None)

    def _reply(self, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.kill(f"it did not answer within {timeout:g} s")
            return None
        if line is None:
            self.kill("it stopped (it ran out of time or memory, or exited)")
            return None
        try:
            reply = answers.loads(line)
        except ValueError:
            self.kill("it sent something that is not an answer")
            return None
        if isinstance(reply, dict) and isinstance(reply.get("uses"), list):
            self.uses = reply["uses"]
        return reply

    def start(self, timeout):
        """Wait for the notebook to finish; returns the cells that failed, or None if it never did."""
        reply = self._reply(timeout)
        return None if reply is None else reply.get("failed_cells", [])

    def request(self, message, timeout=None):
        if self.dead:
            return {"error": f"the notebook's process is gone: {self.dead}"}
        try:
            self.process.stdin.write(answers.dumps(message))
            self.process.stdin.flush()
        except OSError:
            self.kill("it stopped")
            return {"error": f"the notebook's process is gone: {self.dead}"}
        reply = self._reply(timeout or self.cell_limit + 15)
        return reply if reply is not None else {"error": f"the notebook's process is gone: {self.dead}"}

    def kill(self, why):
        self.dead = self.dead or why
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


# --- answers and tests in this process ----------------------------------------------------------------

class StudentError(Exception):
    """An error raised by the student's code, in the student's process (its text only)."""


class StudentFunction:
    """A student's function, called in the student's process; arguments and result cross as data."""

    def __init__(self, student, name, question):
        self.student, self.name, self.question = student, name, question

    def __call__(self, *args, **kwargs):
        reply = self.student.request({"op": "call", "name": self.name, "question": self.question,
                                      "args": [answers.encode(a) for a in args],
                                      "kwargs": {k: answers.encode(v) for k, v in kwargs.items()}})
        if "error" in reply:
            raise StudentError(reply["error"])
        for original, after in zip(args, reply.get("args_after", [])):
            _write_back(original, answers.decode(after))
        return answers.decode(reply["value"])

    def __repr__(self):
        return f"<the student's function {self.name}>"


def _write_back(original, after):
    """Arrays the student's function changed in place are changed here too (tests check for it)."""
    import numpy as np
    if isinstance(original, np.ndarray) and isinstance(after, np.ndarray):
        if original.shape == after.shape and original.flags.writeable:
            np.copyto(original, after, casting="unsafe")
    elif isinstance(original, list) and isinstance(after, list) and len(original) == len(after):
        for i, (a, b) in enumerate(zip(original, after)):
            if isinstance(a, (np.ndarray, list)):
                _write_back(a, b)


class Assignment:
    """What the autograder zip holds, unpacked in a folder only root can read: tests and library."""

    def __init__(self, autograder, folder):
        self.folder = Path(folder)
        with zipfile.ZipFile(autograder) as archive:
            archive.extractall(self.folder)
        config = json.loads((self.folder / "otter_config.json").read_text(encoding="utf-8"))
        self.name = config["assignment_name"]
        self.library = self.folder / "files" / "dlnbook"
        sys.path.insert(0, str(self.folder / "files"))        # the tests' `import dlnbook`
        from otter.nbmeta_config import NBMetadataConfig
        from otter.test_files import create_test_file
        self.tests = {path.stem: create_test_file(str(path), NBMetadataConfig())
                      for path in sorted((self.folder / "tests").glob("*.py"))}
        self.forbidden = {}
        if INTEGRITY.is_file():
            import yaml
            self.forbidden = (yaml.safe_load(INTEGRITY.read_text(encoding="utf-8")) or {}).get(self.name, {}) or {}


def _failure(test_function, error):
    """A public test's message: the line of the test that failed and the error, nothing else."""
    line = ""
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is test_function.__code__:
            import inspect
            lines, start = inspect.getsourcelines(test_function)
            line = lines[tb.tb_lineno - start].strip()
        tb = tb.tb_next
    message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return (f"{line}\n{message}" if line else message)[:2000]


def run_tests(assignment, student):
    """{question: {"score", "possible", "public": [(name, passed, points, message)], "hidden": [...]}}."""
    from otter.test_files.abstract_test import TestCaseResult
    results = {}
    for question, test_file in assignment.tests.items():
        values = {}
        cases = []
        for case in test_file.test_cases:
            function = case.body.test_func
            for name in case.body._get_func_params():
                if name not in values:
                    reply = student.request({"op": "get", "name": name})
                    if "value" in reply:
                        values[name] = answers.decode(reply["value"], StudentFunction(student, name, question))
            try:
                case.body.call_func(values)
                passed, message = True, ""
            except Exception as error:                # noqa: BLE001: any failure fails the test case
                passed, message = False, _failure(function, error)
            cases.append(TestCaseResult(test_case=case, message=message, passed=passed))
        test_file.test_case_results = cases
        results[question] = {
            "score": float(test_file.score), "possible": float(test_file.possible),
            "public": [(c.test_case.name, c.passed, c.test_case.points, c.message) for c in cases if not c.test_case.hidden],
            "hidden": [(c.test_case.name, c.passed, c.test_case.points) for c in cases if c.test_case.hidden]}
    return results


def forbidden_uses(assignment, student, cells):
    """{question: [library functions the student's code used there]}: recorded in the student's
    process, or named in the question's cells."""
    uses = {}
    for use in student.uses:
        if isinstance(use, list) and len(use) == 2 and use[0] in assignment.forbidden:
            uses.setdefault(use[0], set()).add(str(use[1]))
    for source, question in zip(cells, questions_of(cells)):
        for name in assignment.forbidden.get(question, []):
            if name.split(".")[-1] in _referenced_names(source):
                uses.setdefault(question, set()).add(name)
    return {q: sorted(names) for q, names in uses.items()}


def _referenced_names(source):
    """The names and attributes a cell uses (imports aside: importing a function is not using it)."""
    import ast
    try:
        tree = ast.parse(source)
    except SyntaxError:                                # IPython syntax, or an error: read the words
        return set(re.findall(r"\w+", "\n".join(line for line in source.splitlines()
                                                  if not re.match(r"\s*(from|import)\s", line))))
    names = set()
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            names.update(re.findall(r"\w+", node.value))
    return names


# --- one submission -----------------------------------------------------------------------------------

def read_submission(path):
    """(notebook dict or None, why not, [notes]) for a .ipynb or a submission zip."""
    path = Path(path)
    notes = []
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if not n.endswith("/")]
                notebooks = [n for n in names if n.endswith(".ipynb") and "/." not in f"/{n}"
                             and not n.startswith("__MACOSX")]
                others = [n for n in names if n not in notebooks and n != "__zip_filename__"]
                if others:
                    notes.append("ignored the other files in the zip: " + ", ".join(sorted(others)[:8])
                                 + (" ..." if len(others) > 8 else ""))
                if len(notebooks) != 1:
                    return None, (f"the zip holds {len(notebooks)} notebooks ({', '.join(notebooks) or 'none'}); "
                                  "one expected"), notes
                data = archive.read(notebooks[0])
        elif path.suffix == ".ipynb":
            data = path.read_bytes()
        else:
            return None, "not a notebook (.ipynb) or a zip file", notes
        import nbformat
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        if not nb.cells:
            return None, "the notebook has no cells", notes
        return nb, None, notes
    except (OSError, ValueError, UnicodeDecodeError, zipfile.BadZipFile, KeyError) as error:
        return None, f"could not be read: {type(error).__name__}: {error}", notes


def wrong_assignment(nb, assignment):
    """Why ``nb`` is not this assignment's notebook (None if it is)."""
    claimed = nb.metadata.get("otter", {}).get("assignment_name")
    if claimed and claimed != assignment.name:
        return f"this is the notebook of assignment {claimed}, not {assignment.name}"
    checked = {m[1] for cell in nb.cells if cell.cell_type == "code" for m in QUESTION.finditer(cell.source)}
    if not claimed and not checked & set(assignment.tests):
        return f"this does not look like a notebook of assignment {assignment.name} (none of its questions)"
    return None


def grade_notebook(nb, assignment, options, workspace):
    """Grade one notebook; returns (question results, flags)."""
    import nbformat
    notebook = workspace / f"{assignment.name}.ipynb"          # the name otter.Notebook(...) opens
    nbformat.write(nb, notebook)
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    flags = [f"possible tampering: the notebook {what}" for pattern, what in TAMPERING
             if any(re.search(pattern, source) for source in cells[1:])]      # cell 1 is otter's own
    student = StudentProcess(notebook, workspace, assignment.library, assignment.forbidden,
                             options.cell_time_limit, options.time_limit, options.memory_limit,
                             sandboxed=not options.no_sandbox)
    timer = threading.Timer(options.time_limit, student.kill, args=[f"the submission ran past {options.time_limit:g} s"])
    timer.start()
    try:
        failed = student.start(options.time_limit)
        if failed is None:
            flags.append(f"the notebook did not finish: {student.dead}"
                         + (f" ({''.join(student.stderr)[-300:].strip()})" if student.stderr else ""))
        else:
            flags += [f"cell {n} failed: {why}" for n, why in failed]
        results = run_tests(assignment, student)
    finally:
        timer.cancel()
        student.kill("grading is over")
    for question, names in forbidden_uses(assignment, student, cells).items():
        results[question]["score"] = 0.0
        results[question]["forbidden"] = names
        flags.append(f"{question}: uses {', '.join(names)} from dlnbook, which this question asks to write; no points")
    return results, flags


def student_id(path, pattern):
    found = re.search(pattern, Path(path).name)
    return found["id"] if found and "id" in found.groupdict() else Path(path).stem


def feedback(row, results, notes):
    """The text a student may read: points, public messages, hidden-test counts (never their source)."""
    out = io.StringIO()
    out.write(f"{row['assignment']}: {row['student_id']}\n")
    if row["status"] != "graded":
        out.write(f"Not graded: {row['status']}\n")
    else:
        out.write(f"Score: {row['total']:g} / {row['possible']:g}\n")
    for question, result in results.items():
        out.write(f"\n{question}: {result['score']:g} / {result['possible']:g}\n")
        if result.get("forbidden"):
            out.write(f"  no points: this question asks you to write what dlnbook's "
                      f"{', '.join(result['forbidden'])} does, and your code uses it\n")
        for name, passed, points, message in result["public"]:
            out.write(f"  public test {name} ({points:g} points): {'passed' if passed else 'failed'}\n")
            if not passed:
                out.write("    " + message.replace("\n", "\n    ") + "\n")
        hidden = result["hidden"]
        if hidden:
            passed = sum(1 for _, ok, _ in hidden if ok)
            worth = sum(points for _, _, points in hidden)
            out.write(f"  hidden tests ({worth:g} points): {passed} of {len(hidden)} passed\n")
    for note in notes:
        if not note.startswith(INSTRUCTOR_ONLY):
            out.write(f"\nNote: {note}\n")
    return out.getvalue()


# --- the batch ----------------------------------------------------------------------------------------

def find_autograder(name, dist=DIST):
    """The autograder zip that ``make assignments`` wrote for the assignment ``name``."""
    zips = sorted((Path(dist) / name / "autograder").glob(f"{name}-autograder_*.zip"))
    if not zips:
        raise FileNotFoundError(f"no autograder zip for assignment {name!r} in {Path(dist) / name / 'autograder'}; "
                                "run `make assignments` first")
    return zips[-1]


def assignment_name(submission):
    """The otter assignment name stored in a submitted notebook (or in the one notebook inside a zip)."""
    nb, why, _ = read_submission(submission)
    if nb is None:
        raise ValueError(f"{submission}: {why}")
    name = nb.metadata.get("otter", {}).get("assignment_name")
    if not name:
        raise ValueError(f"{submission}: no otter assignment name in the notebook's metadata; pass --assignment")
    return name


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", nargs="+", help="notebooks (.ipynb) or submission zip files")
    parser.add_argument("--assignment", help="the assignment's name, e.g. 02_critical_points (default: the one "
                                             "named in the first submission)")
    parser.add_argument("--autograder", help="the autograder zip (default: the one `make assignments` wrote)")
    parser.add_argument("--csv", help="write the grades to this CSV file, one row per student")
    parser.add_argument("--feedback", help="write each student's feedback to FEEDBACK/<id>.txt")
    parser.add_argument("--roster", help="CSV file with an `id` column: every student gets a row")
    parser.add_argument("--id-pattern", default=DEFAULT_ID_PATTERN,
                        help="regular expression with a group `id`, matched in the file name "
                             f"(default: {DEFAULT_ID_PATTERN!r}, what comes before the first _ or .)")
    parser.add_argument("--cell-time-limit", type=float, default=DEFAULT_CELL_TIME_LIMIT,
                        help=f"seconds for each cell and each call of a student's function (default {DEFAULT_CELL_TIME_LIMIT})")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT,
                        help=f"seconds for a whole submission (default {DEFAULT_TIME_LIMIT})")
    parser.add_argument("--memory-limit", type=float, default=DEFAULT_MEMORY_LIMIT,
                        help=f"GiB of memory for a submission (default {DEFAULT_MEMORY_LIMIT})")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="grade without a sandbox, with your rights: only for notebooks you trust")
    options = parser.parse_args(argv)
    for name in ("cell_time_limit", "time_limit", "memory_limit"):
        if not getattr(options, name) > 0:
            parser.error(f"--{name.replace('_', '-')} must be a positive number, got {getattr(options, name)}")

    problem = sandbox_problem()
    if problem and not options.no_sandbox:
        print(f"refusing to grade: {problem}. Student code would run with your rights; "
              "run as root on Linux, or pass --no-sandbox for notebooks you trust.", file=sys.stderr)
        return 2
    if options.no_sandbox:
        print("warning: grading WITHOUT a sandbox: the notebooks run with your rights", file=sys.stderr)

    name = options.assignment
    if not name and not options.autograder:
        try:
            name = assignment_name(options.submissions[0])
        except ValueError as error:
            parser.error(f"{error}; name the assignment with --assignment")
    private = Path(tempfile.mkdtemp(prefix="grading-"))      # 0700, root's: tests and workspaces
    try:
        assignment = Assignment(options.autograder or find_autograder(name), private / "autograder")
        if name and assignment.name != name:
            raise SystemExit(f"the autograder is for {assignment.name}, not {name}")
        roster = None
        if options.roster:
            with open(options.roster, newline="", encoding="utf-8") as f:
                roster = [row["id"].strip() for row in csv.DictReader(f) if row.get("id", "").strip()]
        rows, questions = [], list(assignment.tests)
        for number, submission in enumerate(options.submissions):
            identifier = student_id(submission, options.id_pattern)
            row = {"student_id": identifier, "assignment": assignment.name, "submission": Path(submission).name,
                   "status": "graded"}
            results, notes = {}, []
            nb, why, notes = read_submission(submission)
            why = why or wrong_assignment(nb, assignment)
            if why:
                row["status"] = why
            else:
                workspace = private / f"submission-{number}"
                workspace.mkdir()
                try:
                    results, flags = grade_notebook(nb, assignment, options, workspace)
                    notes += flags
                except Exception as error:            # noqa: BLE001: one broken submission never stops the batch
                    row["status"] = f"grading failed: {type(error).__name__}: {error}"
                    traceback.print_exc()
                finally:
                    shutil.rmtree(workspace, ignore_errors=True)
            if roster is not None and identifier not in roster:
                notes.append(f"not on the roster: {identifier}")
            for question in questions:
                row[question] = results[question]["score"] if question in results else 0.0
            row["total"] = sum(row[q] for q in questions)
            row["possible"] = sum(_possible(assignment, q) for q in questions)
            row["flags"] = " | ".join(notes)
            rows.append(row)
            print(f"{identifier} ({Path(submission).name}): "
                  + (f"{row['total']:g} / {row['possible']:g}  " + "  ".join(f"{q} {row[q]:g}" for q in questions)
                     if row["status"] == "graded" else f"NOT GRADED: {row['status']}")
                  + (f"\n    flags: {row['flags']}" if notes else ""))
            if options.feedback:
                Path(options.feedback).mkdir(parents=True, exist_ok=True)
                (Path(options.feedback) / f"{identifier}.txt").write_text(feedback(row, results, notes), encoding="utf-8")
        for identifier in (roster or []):
            if identifier not in {row["student_id"] for row in rows}:
                rows.append({"student_id": identifier, "assignment": assignment.name, "submission": "",
                             "status": "missing", **{q: 0.0 for q in questions}, "total": 0.0,
                             "possible": sum(_possible(assignment, q) for q in questions), "flags": ""})
        if options.csv:
            fields = ["student_id", "assignment", "submission", "status", *questions, "total", "possible", "flags"]
            with open(options.csv, "w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=fields)
                writer.writeheader()
                writer.writerows(rows)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    return 0


def _possible(assignment, question):
    test_file = assignment.tests[question]
    return float(sum(case.points for case in test_file.test_cases))


if __name__ == "__main__":
    sys.exit(main())
