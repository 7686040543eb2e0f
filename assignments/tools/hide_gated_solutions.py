"""Sphinx extension for the student edition: drop gated solutions too.

sphinx-exercise's ``hide_solutions`` option removes ``{solution}`` directives, but not the gated
form (``{solution-start}`` ... ``{solution-end}`` with code cells in between): the start directive
disappears, and the text, code cells and outputs between the markers stay on the page, followed by
a ``solution_end_node`` that the HTML writer cannot render (the build fails). With this extension
loaded and ``hide_solutions: true``, ``{solution-start}`` leaves a marker, and a transform removes
everything from the marker to the matching ``{solution-end}``.

The student-edition build (``assignments/tools/student_book.py``) loads it; the regular book does not.
"""

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx_exercise.directive import SolutionStartDirective
from sphinx_exercise.nodes import solution_end_node

logger = logging.getLogger(__name__)


class hidden_solution_start(nodes.Element):
    """Where a gated solution began; removed, with the solution, before writing."""


class HiddenSolutionStart(SolutionStartDirective):
    """``{solution-start}`` under ``hide_solutions``: register it as usual, leave a marker."""

    def run(self):
        super().run()   # keeps sphinx-exercise's start/end bookkeeping (and its checks) intact
        marker = hidden_solution_start()
        self.set_source_info(marker)
        return [marker]


class RemoveHiddenSolutions(SphinxTransform):
    """Remove each marker and its siblings up to and including the next ``{solution-end}``."""

    default_priority = 5   # after sphinx-exercise's structure check (1), before its merge (10)

    def apply(self):
        for marker in list(self.document.findall(hidden_solution_start)):
            parent = marker.parent
            start = parent.index(marker)
            end = next((i for i in range(start + 1, len(parent.children))
                        if isinstance(parent.children[i], solution_end_node)), None)
            if end is None:
                logger.warning("solution-start without a solution-end at the same level; "
                               "the solution could not be hidden", location=marker)
                parent.remove(marker)
                continue
            for child in parent.children[start:end + 1]:
                parent.remove(child)


def _register(app, config):
    if config.hide_solutions:
        app.add_directive("solution-start", HiddenSolutionStart, override=True)


def setup(app):
    app.setup_extension("sphinx_exercise")
    app.add_node(hidden_solution_start)
    app.add_transform(RemoveHiddenSolutions)
    app.connect("config-inited", _register)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
