"""The classroom tools: the student edition of the book and the otter-grader assignments.

* The student edition (``make student-book``, ``assignments/tools/student_book.py``) is built once
  into a temporary folder. No solution text, solution code or solution output may appear anywhere in
  its HTML, while every exercise does. The fragments looked for are read from the chapters themselves,
  and the same reading must find the exercises and the ordinary code cells and outputs in the HTML,
  so a test that finds no solution text cannot pass by looking for the wrong thing.
* The assignments (``make assignments``, ``assignments/tools/build.py``) are built once, in a copy of
  the files the build reads, and the copy is compared before and after: the build writes nothing outside
  ``assignments/dist/``. Then ``otter run`` (the Gradescope path) and the sandboxed local grader
  ``assignments/tools/grade.py`` both grade the solutions to full marks and the untouched student
  notebook to zero, and a bad submission (a syntax error, an infinite loop in a function and one at
  the top of a cell, a wrong shape) is graded question by question, within the grader's time limit
  per cell. ``tests/test_grading.py`` grades a whole simulated class, hostile notebooks included.
"""

import csv
import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "assignments" / "tools"
MASTERS = sorted((ROOT / "assignments").glob("[0-9][0-9]_*.ipynb"))
PYTHON = sys.executable

pytestmark = pytest.mark.classroom


def run(*args, cwd=ROOT, timeout=900):
    """Run a command; return it with its output. Fails the test, with the output, if it fails."""
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


# --- the student edition -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def student_book(tmp_path_factory):
    output = tmp_path_factory.mktemp("student-book")
    run(PYTHON, TOOLS / "student_book.py", "--output", output)
    return output


def _toc_files(entries):
    for entry in entries:
        if "file" in entry:
            yield entry["file"]
        for key in ("chapters", "sections", "parts"):
            yield from _toc_files(entry.get(key, []))


def chapter_notebooks():
    """The pages of the book's table of contents, as notebooks (a Markdown page is one Markdown cell)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = []
    for name in [toc["root"], *_toc_files(toc.get("parts", []) + toc.get("chapters", []))]:
        path = next(ROOT / f"{name}{suffix}" for suffix in (".ipynb", ".md", "") if (ROOT / f"{name}{suffix}").is_file())
        if path.suffix == ".ipynb":
            pages.append((path, nbformat.read(path, as_version=4)))
        else:
            pages.append((path, nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(path.read_text(encoding="utf-8"))])))
    return pages


DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}.*$")


def _blocks(markdown):
    """Split MyST text into (directive name or None, text) pieces, for top-level directives."""
    lines, pieces, plain, i = markdown.splitlines(), [], [], 0
    while i < len(lines):
        start = DIRECTIVE.match(lines[i].strip())
        if not start:
            plain.append(lines[i])
            i += 1
            continue
        pieces.append((None, "\n".join(plain)))
        plain, body, fence = [], [], start["fence"]
        i += 1
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i])
            i += 1
        i += 1
        body = [line for line in body if not re.match(r"^\s*:[\w-]+:", line)]   # directive options
        pieces.append((start["name"], "\n".join(body)))
    pieces.append((None, "\n".join(plain)))
    return pieces


def classify(nb):
    """{"exercise" | "solution" | "other": {"text": [...], "code": [...], "output": [...]}} for a notebook.

    ``{exercise}`` and ``{solution}`` directives, and everything between ``{solution-start}`` and
    ``{solution-end}`` (or the exercise equivalents), Markdown and code cells with their outputs alike.
    """
    parts = {kind: {"text": [], "code": [], "output": []} for kind in ("exercise", "solution", "other")}
    gated = None
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "markdown":
            for name, text in _blocks(cell.source):
                if name in ("solution-start", "exercise-start"):
                    gated = name.split("-")[0]
                    parts[gated]["text"].append(text)
                elif name in ("solution-end", "exercise-end"):
                    gated = None
                elif name in ("solution", "exercise"):
                    parts[name]["text"].append(text)
                else:
                    parts[gated or "other"]["text"].append(text)
        elif cell.cell_type == "code":
            kind = gated or "other"
            if not tags & {"remove-input", "remove-cell"}:
                parts[kind]["code"].append(cell.source)
            if not tags & {"remove-output", "remove-cell"}:
                for output in cell.get("outputs", []):
                    data = output.get("data", {})
                    if set(data) == {"text/plain"}:      # otherwise the page shows a richer form
                        parts[kind]["output"].append(data["text/plain"])
                    parts[kind]["output"].append(output.get("text", ""))
    return parts


def normalize(text):
    text = html.unescape(text)
    for fancy, plain in [("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("–", "-"), ("—", "-"), ("…", "...")]:
        text = text.replace(fancy, plain)
    return re.sub(r"\s+", " ", text).strip()


def text_fragments(markdown):
    """Runs of plain words (at least 4 words, 20 characters) in MyST text: math, code and roles cut them."""
    markdown = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)                    # links: keep the text
    markdown = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|\{[\w:-]+\}`[^`]*`|`[^`]*`", "\0", markdown, flags=re.S)
    markdown = markdown.replace("**", "").replace("*", "")
    pieces = re.split(r"\0|\n\s*\n|^\s*(?:[-#>]+|\d+\.)\s", markdown, flags=re.M)
    return [normalize(p) for p in pieces if len(normalize(p)) >= 20 and len(normalize(p).split()) >= 4]


def line_fragments(texts, minimum):
    return [normalize(line) for text in texts for line in text.splitlines() if len(normalize(line)) >= minimum]


def html_corpus(folder):
    """Every text file of the built site as one normalized string (HTML without its tags)."""
    texts = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix in {".png", ".svg", ".woff", ".woff2", ".ttf", ".eot", ".ico", ".gif", ".jpg", ".map"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if path.suffix == ".html":
            text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
            text = re.sub(r"<[^>]+>", "", text)
        texts.append(normalize(text))
    return "\n".join(texts)


@pytest.mark.slow
def test_student_edition_config_is_derived_from_the_book_config(student_book):
    book = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    student = yaml.safe_load((student_book / "_config.yml").read_text(encoding="utf-8"))
    assert student["sphinx"]["config"]["hide_solutions"] is True
    assert "hide_gated_solutions" in student["sphinx"]["local_extensions"]
    assert student["html"]["use_download_button"] is False
    assert not (student_book / "jupyter_execute").exists(), "copies of the notebooks (with solutions) left behind"
    # everything else is the book's own configuration
    for config in (book, student):
        config.pop("title"), config["html"].pop("use_download_button", None)
        config["sphinx"].pop("local_extensions")
        for key in ("hide_solutions", "html_copy_source", "html_show_sourcelink"):
            config["sphinx"]["config"].pop(key, None)
    assert student == book


@pytest.mark.slow
def test_student_edition_has_the_exercises_and_no_solutions(student_book):
    site = student_book / "html"
    assert (site / "index.html").is_file()
    corpus = html_corpus(site)
    pages = chapter_notebooks()
    found = {"solution fragments": 0, "exercise fragments": 0, "code lines": 0, "outputs": 0}
    shown, hidden = [], []
    for path, nb in pages:
        parts = classify(nb)
        # the reading finds what the student edition must show...
        for fragment in text_fragments("\n\n".join(parts["exercise"]["text"])):
            assert fragment in corpus, f"{path.name}: exercise text missing from the student edition: {fragment!r}"
            found["exercise fragments"] += 1
        for fragment in line_fragments(parts["other"]["code"], 20):
            assert fragment in corpus, f"{path.name}: code line missing from the student edition: {fragment!r}"
            found["code lines"] += 1
        for fragment in line_fragments(parts["other"]["output"], 12):
            assert fragment in corpus, f"{path.name}: output missing from the student edition: {fragment!r}"
            found["outputs"] += 1
        shown += (text_fragments("\n\n".join(parts["exercise"]["text"] + parts["other"]["text"]))
                  + line_fragments(parts["exercise"]["code"] + parts["other"]["code"], 20)
                  + line_fragments(parts["exercise"]["output"] + parts["other"]["output"], 12))
        hidden += [(path.name, fragment) for fragment in (text_fragments("\n\n".join(parts["solution"]["text"]))
                                                          + line_fragments(parts["solution"]["code"], 20)
                                                          + line_fragments(parts["solution"]["output"], 12))]
    # ...and no solution fragment (one that appears nowhere outside the solutions) is there
    everywhere_else = "\n".join(shown)
    for page, fragment in hidden:
        if fragment not in everywhere_else:
            assert fragment not in corpus, f"{page}: solution in the student edition: {fragment!r}"
            found["solution fragments"] += 1
    exercises = sum(len(re.findall(r"^(?:`{3,}|:{3,})\{exercise(?:-start)?\}", cell.source, flags=re.M))
                    for _, nb in pages for cell in nb.cells if cell.cell_type == "markdown")
    assert exercises >= 3, f"the book has {exercises} exercises"
    assert found["exercise fragments"] >= exercises and found["code lines"] >= 20 and found["outputs"] >= 10, found
    assert found["solution fragments"] >= 10, found
    assert 'class="solution' not in "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert not list(site.rglob("*.ipynb")), "the student edition must not offer the notebooks (they hold the solutions)"


# --- the assignments ---------------------------------------------------------------------------

def snapshot(folder, skip):
    return {path.relative_to(folder).as_posix(): (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
            for path in folder.rglob("*") if path.is_file() and skip not in path.parents}


@pytest.fixture(scope="module")
def assignments(tmp_path_factory):
    """A copy of what ``make assignments`` reads, built once; (copy root, seconds the build took)."""
    root = tmp_path_factory.mktemp("classroom")
    ignore = shutil.ignore_patterns("__pycache__", "dist", ".ipynb_checkpoints")
    shutil.copytree(ROOT / "assignments", root / "assignments", ignore=ignore)
    shutil.copytree(ROOT / "dlnbook", root / "dlnbook", ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")
    dist = root / "assignments" / "dist"
    before = snapshot(root, dist)
    start = time.perf_counter()
    run(PYTHON, root / "assignments" / "tools" / "build.py", cwd=root)
    seconds = time.perf_counter() - start
    return root, seconds, before, snapshot(root, dist)


def output(root, master, edition):
    folder = root / "assignments" / "dist" / master.stem / edition
    return folder, nbformat.read(folder / master.name, as_version=4)


def autograder_zip(root, master):
    zips = list((root / "assignments" / "dist" / master.stem / "autograder").glob("*-autograder_*.zip"))
    assert len(zips) == 1, zips
    return zips[0]


def test_there_are_assignments():
    assert MASTERS, "no master notebook assignments/NN_*.ipynb"
    assert MASTERS[0].name == "01_regularized_loss.ipynb"


def test_build_writes_only_under_dist(assignments):
    root, seconds, before, after = assignments
    assert after == before, "the build wrote outside assignments/dist/"
    dist = root / "assignments" / "dist"
    assert sorted(p.name for p in dist.iterdir()) == [m.stem for m in MASTERS], "one folder per master notebook"
    print(f"make assignments: {len(MASTERS)} assignments in {seconds:.0f} s")   # shown with -s


@pytest.mark.parametrize("master", MASTERS, ids=[m.stem for m in MASTERS])
def test_questions_have_points_public_and_hidden_tests(assignments, master):
    root = assignments[0]
    with zipfile.ZipFile(autograder_zip(root, master)) as archive:
        tests = {Path(name).stem: archive.read(name).decode() for name in archive.namelist()
                 if name.startswith("tests/") and name.endswith(".py")}
    assert len(tests) >= 3, f"{master.name}: {len(tests)} graded questions, at least 3 expected"
    for question, source in tests.items():
        assert float(re.search(r"^points = (\S+)$", source, flags=re.M)[1]) > 0, question
        hidden = re.findall(r"@test_case\(points=\S+, hidden=(True|False)", source)
        assert "True" in hidden and "False" in hidden, f"{master.name}, {question}: needs public and hidden tests"
        # grader.check shows a public test's points and says hidden tests carry the rest
        total = float(re.search(r"^points = (\S+)$", source, flags=re.M)[1])
        cases = re.findall(r"@test_case\(points=([\d.]+), hidden=(True|False)(.*?)\)\ndef", source, flags=re.S)
        public = [(float(p), extra) for p, h, extra in cases if h == "False"]
        assert sum(float(p) for p, _, _ in cases) == total, f"{question}: explicit points adding up to the question's"
        for points, extra in public:
            assert f"gives {points:g} of the {total:g} points" in extra and "hidden tests" in extra, extra


@pytest.mark.parametrize("master", MASTERS, ids=[m.stem for m in MASTERS])
def test_student_version_has_no_solutions_and_no_hidden_tests(assignments, master):
    root = assignments[0]
    student_folder, student = output(root, master, "student")
    _, solution = output(root, master, "autograder")
    student_text = json.dumps(student)
    solution_lines = {line.strip() for cell in solution.cells if "otter_assign_solution_cell" in cell.metadata.get("tags", [])
                      for line in cell.source.splitlines() if len(line.strip()) >= 8}
    prompt_lines = {line.strip() for cell in student.cells if cell.cell_type == "code" for line in cell.source.splitlines()}
    solution_only = solution_lines - prompt_lines
    assert len(solution_only) >= 5, "the solution notebook should have solution code to remove"
    for line in solution_only:
        assert json.dumps(line)[1:-1] not in student_text, f"{master.name}: solution code in the student notebook: {line!r}"
    assert not re.search(r"#\s*(BEGIN|END) (SOLUTION|TESTS|QUESTION)|#\s*SOLUTION\b|HIDDEN", student_text)
    assert not any(cell.get("outputs") for cell in student.cells if cell.cell_type == "code")
    with zipfile.ZipFile(autograder_zip(root, master)) as archive:
        hidden = [name for path in archive.namelist() if path.startswith("tests/")
                  for name in re.findall(r"hidden=True[^)]*\)\s*def (\w+)", archive.read(path).decode())]
    assert hidden and not [name for name in hidden if name in student_text], "hidden tests in the student notebook"
    tests = student.metadata["otter"]["tests"]
    assert tests and all("hidden=False" in source and "hidden=True" not in source for source in tests.values())
    assert not (student_folder / "tests").exists()
    export = [cell.source for cell in student.cells if "grader.export(" in cell.source]
    assert len(export) == 1 and "run_tests" not in export[0], "the export cell must not re-run the notebook"
    assert (student_folder / "dlnbook" / "problem.py").is_file(), "the student folder carries the library"


@pytest.mark.parametrize("master", MASTERS, ids=[m.stem for m in MASTERS])
def test_autograder_zip_is_ready_for_gradescope(assignments, master):
    root = assignments[0]
    with zipfile.ZipFile(autograder_zip(root, master)) as archive:
        names = set(archive.namelist())
        environment = yaml.safe_load(archive.read("environment.yml"))
        config = json.loads(archive.read("otter_config.json"))
    assert {"run_autograder", "setup.sh", "run_otter.py", "files/dlnbook/__init__.py", "files/dlnbook/problem.py"} <= names
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert any(p.startswith("otter-grader") for p in pip) and any(p.startswith("numpy") for p in pip)
    assert config["assignment_name"] == master.stem and not config.get("pdf")


def otter_run(root, master, notebook, out):
    """Start ``otter run`` on a notebook; returns the process and the results.json it will write."""
    out.mkdir()
    command = [PYTHON, "-m", "otter", "run", "--no-logo", "-a", autograder_zip(root, master), "-o", out, notebook]
    process = subprocess.Popen([str(c) for c in command], cwd=out, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, out / "results.json"


def scores(process, results):
    """{question: (score, possible)} once ``otter run`` has finished."""
    log, _ = process.communicate(timeout=900)
    assert process.returncode == 0, log[-4000:]
    return {t["name"]: (t["score"], t["max_score"]) for t in json.loads(results.read_text())["tests"] if "max_score" in t}


@pytest.mark.slow
@pytest.mark.parametrize("master", MASTERS, ids=[m.stem for m in MASTERS])
def test_otter_run_gives_solutions_full_marks_and_the_untouched_student_notebook_nothing(assignments, master, tmp_path):
    root = assignments[0]
    # one after the other: two kernels started at once can pick the same free port (ZMQ "Address already in use")
    notebooks = {edition: output(root, master, edition)[0] / master.name for edition in ("autograder", "student")}
    solution = scores(*otter_run(root, master, notebooks["autograder"], tmp_path / "solution"))
    untouched = scores(*otter_run(root, master, notebooks["student"], tmp_path / "student"))
    assert len(solution) >= 3 and all(score == possible > 0 for score, possible in solution.values()), solution
    assert untouched.keys() == solution.keys() and all(score == 0 for score, _ in untouched.values()), untouched


@pytest.mark.slow
@pytest.mark.parametrize("master", MASTERS, ids=[m.stem for m in MASTERS])
def test_the_local_grader_gives_solutions_full_marks_and_the_untouched_notebook_nothing(assignments, master, tmp_path):
    root = assignments[0]
    shutil.copy2(output(root, master, "autograder")[0] / master.name, tmp_path / f"solution_{master.name}")
    shutil.copy2(output(root, master, "student")[0] / master.name, tmp_path / f"untouched_{master.name}")
    run(PYTHON, root / "assignments" / "tools" / "grade.py", "--assignment", master.stem, "--csv", tmp_path / "grades.csv",
        tmp_path / f"solution_{master.name}", tmp_path / f"untouched_{master.name}", cwd=tmp_path)
    with open(tmp_path / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    questions = [key for key in rows["solution"] if re.match(r"q\d", key)]
    assert len(questions) >= 3 and float(rows["solution"]["possible"]) > 0
    assert float(rows["solution"]["total"]) == float(rows["solution"]["possible"]), rows["solution"]
    assert rows["solution"]["flags"] == "", rows["solution"]["flags"]
    assert float(rows["untouched"]["total"]) == 0 and rows["untouched"]["status"] == "graded"


@pytest.mark.slow
def test_an_honest_exported_submission_grades_without_score_warnings(assignments, tmp_path):
    """What a student does: fill in the answers, run every cell (grader.check logs each result), let the
    last cell write the zip; otter run on that zip then finds no "differs from logged score"."""
    root, master = assignments[0], MASTERS[1]
    folder = tmp_path / "student"
    shutil.copytree(output(root, master, "student")[0], folder)
    student = nbformat.read(folder / master.name, as_version=4)
    solution = output(root, master, "autograder")[1]
    for mine, theirs in zip(student.cells, solution.cells, strict=True):
        if "otter_assign_solution_cell" in theirs.metadata.get("tags", []):
            mine.source = theirs.source
    nbformat.write(student, folder / master.name)
    run(PYTHON, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace", master.name, cwd=folder)
    submission, = folder.glob(f"{master.stem}_*.zip")
    with zipfile.ZipFile(submission) as archive:
        assert ".OTTER_LOG" in archive.namelist(), "the zip carries the log of the student's checks"
    log = run(PYTHON, "-m", "otter", "run", "--no-logo", "-a", autograder_zip(root, master), "-o", tmp_path, submission,
              cwd=tmp_path).stdout
    assert "No discrepancies found while verifying scores against the log" in log, log[-3000:]
    assert "differs from logged score" not in log


@pytest.mark.slow
def test_a_bad_submission_is_graded_not_crashed_on(assignments, tmp_path):
    root = assignments[0]
    master = MASTERS[0]
    _, nb = output(root, master, "autograder")
    answers = [cell for cell in nb.cells if "otter_assign_solution_cell" in cell.metadata.get("tags", [])]

    def answer(text):
        return next(cell for cell in answers if text in cell.source)

    answer("def gradient(").source = "def gradient(W, X, Y, lams)\n    return W\n"                     # syntax error
    answer("def imbalances(").source = "def imbalances(W, lams):\n    while True:\n        pass\n"   # loops when called
    answer("penalties =").source = "k = 0\nwhile k >= 0:\n    k += 1\npenalties = [1.0, 1.0, 1.0]\n"  # loops at once
    answer("scalar_points =").source += "\nscalar_points = scalar_points.T\n"                          # wrong shape
    submission = tmp_path / f"bob_{master.name}"
    nbformat.write(nb, submission)

    run(PYTHON, root / "assignments" / "tools" / "grade.py", submission, "--cell-time-limit", 6,
        "--csv", tmp_path / "grades.csv", "--feedback", tmp_path / "feedback", cwd=tmp_path)

    with open(tmp_path / "grades.csv", newline="") as f:
        row = next(csv.DictReader(f))
    assert row["student_id"] == "bob" and row["assignment"] == master.stem
    assert {q: float(row[q]) for q in row if q.startswith("q")} == {
        "q1_gradient": 0, "q2_imbalance": 0, "q3_balanced_minimum": 0, "q4_scalar_critical_points": 0,
        "q5_soft_thresholding": 2}
    assert (float(row["total"]), float(row["possible"])) == (2, 13)
    assert "SyntaxError" in row["flags"] and "stopped after 6 s" in row["flags"]
    feedback = (tmp_path / "feedback" / "bob.txt").read_text()
    q2 = feedback[feedback.index("q2_imbalance"):feedback.index("q3_balanced_minimum")]
    assert "TimeoutError: the call ran longer than 6 s" in q2, feedback


def test_a_student_notebook_in_progress_is_never_overwritten(assignments, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(assignments[0], root)
    master = MASTERS[0]
    notebook = root / "assignments" / "dist" / master.stem / "student" / master.name
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("my_work = 42"))
    nbformat.write(nb, notebook)
    before = notebook.read_bytes()
    done = run(PYTHON, root / "assignments" / "tools" / "build.py", master.stem, cwd=root)
    assert "skipped" in done.stderr and f"student/{master.name} was changed" in done.stderr, done.stderr
    assert notebook.read_bytes() == before


def _seeds(nb):
    return [m[0] for cell in nb.cells if cell.cell_type == "code"
            for m in re.finditer(r"\b(seed=|default_rng\()(\d+)\b", cell.source)]


@pytest.mark.slow
def test_a_term_seed_builds_new_data_and_the_default_builds_the_masters(assignments, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(assignments[0], root, ignore=shutil.ignore_patterns("dist"))
    names = ["01_regularized_loss", "04_linear_convergence"]
    run(PYTHON, root / "assignments" / "tools" / "build.py", "--term-seed", 2027, *names, cwd=root)  # solutions pass
    for name in names:
        master = nbformat.read(ROOT / "assignments" / f"{name}.ipynb", as_version=4)
        default = output(assignments[0], ROOT / f"{name}.ipynb", "student")[1]
        variant = output(root, ROOT / f"{name}.ipynb", "student")[1]
        assert _seeds(default) and set(_seeds(default)) <= set(_seeds(master)), "the default build is the master's data"
        assert not set(_seeds(variant)) & set(_seeds(default)), f"{name}: the variant hands out the same data"
        manifest = json.loads((root / "assignments" / "dist" / name / ".generated.json").read_text())
        assert manifest["term_seed"] == 2027


def test_grading_finds_the_autograder_of_a_submitted_zip(assignments, tmp_path):
    root = assignments[0]
    sys.path.insert(0, str(TOOLS))
    try:
        import grade
    finally:
        sys.path.remove(str(TOOLS))
    for master in MASTERS:
        submission = tmp_path / f"{master.stem}_submission.zip"       # what the student notebook's last cell writes
        with zipfile.ZipFile(submission, "w") as archive:
            archive.write(root / "assignments" / "dist" / master.stem / "student" / master.name, master.name)
            archive.writestr("__zip_filename__", submission.name)
        assert grade.assignment_name(submission) == master.stem
        assert grade.find_autograder(master.stem, dist=root / "assignments" / "dist") == autograder_zip(root, master)
    with pytest.raises(FileNotFoundError, match="make assignments"):
        grade.find_autograder("99_missing", dist=root / "assignments" / "dist")
