"""The student's side of grading: run a notebook, then answer the grader's questions about it.

    python run_notebook.py NOTEBOOK --cell-time-limit SECONDS --forbidden JSON

``grade.py`` starts this inside the sandbox (no network, an unprivileged user, resource limits, a
scratch folder holding the notebook and the student edition of ``dlnbook``; see ``grade.py``). It
runs the notebook's code cells in order, each stopped after ``--cell-time-limit`` seconds (a cell
that fails is recorded and the next one runs, as in a notebook), then reads requests, one JSON line
each, on stdin and answers on stdout: the value of a name (``answers.encode``), or the result of
calling one of the student's functions with given arguments; each answer also lists the forbidden
library calls recorded so far. What the cells print goes to
``output.log`` in the scratch folder, not to the grader.

Library functions that a question asks the student to write (``--forbidden``, per question) are
wrapped so that a call from the student's own code, rather than from inside ``dlnbook``, is recorded
for the grader, which then gives that question no points.

Nothing here is trusted by the grader beyond data: this process is the student's, and the answers
it sends are only values that the hidden tests, in the grader's own process, then check.
"""

import argparse
import json
import os
import re
import resource
import signal
import sys
import traceback
from pathlib import Path

CHECK_CALL = re.compile(r"^(\s*)grader\.(check|check_all|export)\(.*$", flags=re.M)
QUESTION = re.compile(r"""grader\.check\(\s*["'](\w+)["']""")

current_question = None
forbidden_uses = []          # (question, name), in the order they happened


class CellTimeout(BaseException):
    """Raised in a cell that runs past its time limit (a BaseException: ``except Exception`` does not catch it)."""


def questions_of(cells):
    """For each code cell, the question it belongs to: the one of the next ``grader.check`` call."""
    owners, pending = [None] * len(cells), []
    for index, cell in enumerate(cells):
        pending.append(index)
        found = QUESTION.search(cell)
        if found:
            for i in pending:
                owners[i] = found[1]
            pending = []
    return owners


def guard_forbidden(per_question):
    """Wrap the library functions named in ``per_question`` ({question: [name, ...]})."""
    import importlib
    import pkgutil

    import dlnbook
    for module in pkgutil.iter_modules(dlnbook.__path__):
        importlib.import_module(f"dlnbook.{module.name}")
    modules = [m for name, m in list(sys.modules.items()) if name == "dlnbook" or name.startswith("dlnbook.")]
    questions_of_name = {}
    for question, names in per_question.items():
        for name in names:
            questions_of_name.setdefault(name, set()).add(question)

    def wrap(name, function):
        def guarded(*args, **kwargs):
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if current_question in questions_of_name[name] and not caller.startswith("dlnbook"):
                forbidden_uses.append((current_question, name))
            return function(*args, **kwargs)
        guarded.__wrapped__ = function
        guarded.__name__, guarded.__doc__ = getattr(function, "__name__", name), function.__doc__
        return guarded

    for name in questions_of_name:
        if "." in name:                                 # a method: Problem.grad
            class_name, attribute = name.split(".", 1)
            owner = getattr(dlnbook, class_name)
            setattr(owner, attribute, wrap(name, getattr(owner, attribute)))
            continue
        for module in modules:
            if callable(getattr(module, name, None)):
                setattr(module, name, wrap(name, getattr(module, name)))


def run_cells(shell, cells, owners, seconds):
    """Run each cell under the time limit; returns [(cell number, error line)] of the failed ones."""
    global current_question
    failures = []
    for number, (source, question) in enumerate(zip(cells, owners), start=1):
        current_question = question
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            result = shell.run_cell(CHECK_CALL.sub(r"\1pass", source), store_history=False, silent=True)
        except CellTimeout:
            result = None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        error = None if result is None else (result.error_in_exec or result.error_before_exec)
        if result is None or isinstance(error, CellTimeout):
            failures.append((number, f"stopped after {seconds:g} s (an infinite loop?)"))
        elif error is not None:
            failures.append((number, f"{type(error).__name__}: {error}"[:300]))
    current_question = None
    return failures


def serve(shell, requests, replies, seconds):
    """Answer the grader's requests until stdin closes."""
    global current_question
    import answers

    namespace = shell.user_ns
    for line in requests:
        request = json.loads(line)
        reply = {}
        try:
            if request["op"] == "get":
                name = request["name"]
                reply = {"value": answers.encode(namespace[name])} if name in namespace else {"missing": True}
            elif request["op"] == "call":
                function = namespace.get(request["name"])
                if not callable(function):
                    raise TypeError(f"{request['name']} is not a function")
                args = [answers.decode(a) for a in request["args"]]
                kwargs = {k: answers.decode(v) for k, v in request["kwargs"].items()}
                current_question = request.get("question")
                signal.setitimer(signal.ITIMER_REAL, seconds)
                try:
                    value = function(*args, **kwargs)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    current_question = None
                reply = {"value": answers.encode(value), "args_after": [answers.encode(a) for a in args]}
        except CellTimeout:
            reply = {"error": f"TimeoutError: the call ran longer than {seconds:g} s (an infinite loop?)"}
        except BaseException as error:              # the student's error, reported as text
            reply = {"error": "".join(traceback.format_exception_only(type(error), error)).strip()[-2000:]}
        reply["uses"] = forbidden_uses       # with every answer: a process that dies later has told it already
        replies.write(answers.dumps(reply))
        replies.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("--cell-time-limit", type=float, required=True)
    parser.add_argument("--forbidden", default="{}")
    args = parser.parse_args()

    scratch = Path(args.notebook).resolve().parent
    os.chdir(scratch)
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    log = os.open(scratch / "output.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdin = open(os.devnull)                       # a cell asking for input() gets nothing
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    sys.path[:0] = [str(scratch), str(Path(__file__).resolve().parent)]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def time_is_up(signum, frame):
        signal.setitimer(signal.ITIMER_REAL, 1)      # again, if the cell swallows it
        raise CellTimeout()

    signal.signal(signal.SIGALRM, time_is_up)

    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    nb = nbformat.read(args.notebook, as_version=4)
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    shell = InteractiveShell.instance()
    guard_forbidden(json.loads(args.forbidden))
    failures = run_cells(shell, cells, questions_of(cells), args.cell_time_limit)
    replies.write(json.dumps({"ready": True, "failed_cells": failures, "uses": forbidden_uses}) + "\n")
    replies.flush()
    serve(shell, requests, replies, args.cell_time_limit)


if __name__ == "__main__":
    main()
