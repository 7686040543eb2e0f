"""The PDF edition, and the one version number that the library, the site and the PDF share.

* The version is ``__version__`` in ``dlnbook/__init__.py`` (read from the file, not imported, so the
  build does not depend on the library importing). It becomes Sphinx's ``release``: the PDF's title page
  shows it, and every page of the site shows it in its footer.
* The LaTeX preamble defines the book's math macros from ``mathjax3_config`` in ``_config.yml``, so the
  site and the PDF read one list.
* The PDF omits the exercises' solutions, gated ones included, as the student edition does (they stay
  on the site, hidden until opened).
* ``make pdf`` writes ``_build/latex/dlnbook.pdf``; a later HTML build copies it into the site as
  ``dlnbook.pdf`` and every page's footer links to it.
"""

import ast
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx_exercise.nodes import exercise_latex_number_reference
from sphinx_proof.nodes import proof_node

PDF_NAME = "dlnbook.pdf"

# The bibliography page is a chapter already: its entries follow its title instead of opening a
# second, untitled chapter of their own (LaTeX's thebibliography starts one with \chapter*).
BIBLIOGRAPHY_IN_ITS_CHAPTER = r"""
\makeatletter
\renewenvironment{sphinxthebibliography}[1]
  {\begingroup\def\chapter*##1{}\begin{thebibliography}{#1}}{\end{thebibliography}\endgroup}
\makeatother
"""


# Characters the book's code and docstrings use that FreeMono lacks (the xelatex log would say
# "Missing character" and the PDF would drop them): set them from the math fonts.
MISSING_GLYPHS = r"""
\usepackage{newunicodechar}
\newunicodechar{ᵀ}{\ensuremath{^{\mathsf{T}}}}
\newunicodechar{𝒲}{\ensuremath{\mathcal{W}}}
"""


# The running head: the book's short title (before the colon) and its version, on one line.
RUNNING_HEAD = r"""
\makeatletter
\let\book@normalstyle\ps@normal
\def\ps@normal{\book@normalstyle\fancyhead[RO,LE]{{\py@HeaderFamily %s\sphinxheadercomma\py@release}}}
\makeatother
"""


def library_version(root):
    """``__version__`` from ``dlnbook/__init__.py`` under ``root``."""
    tree = ast.parse((Path(root) / "dlnbook" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return ast.literal_eval(node.value)
    raise ValueError("dlnbook/__init__.py does not set __version__")


def latex_macros(macros):
    """LaTeX definitions of MathJax macros: ``{"R": "\\\\mathbb{R}", "norm": ["...#1...", 1]}``."""
    lines = []
    for name, body in macros.items():
        definition, arguments = (body[0], body[1]) if isinstance(body, list) else (body, 0)
        # \providecommand then \renewcommand: MathJax overrides a name LaTeX may already define
        lines.append(rf"\providecommand{{\{name}}}{{}}\renewcommand{{\{name}}}[{arguments}]{{{definition}}}")
    return "\n".join(lines) + "\n"


def _built_pdf(app):
    return Path(app.outdir).parent / "latex" / PDF_NAME


def _configure(app, config):
    version = library_version(app.srcdir)
    config.version = config.release = version
    # LaTeX settings are read only by the LaTeX builder (which is not known yet at this point)
    config.latex_use_xindy = False   # makeindex is enough for an English index; xindy is another package
    config.latex_domain_indices = False   # a list of proof labels and module names is no use on paper
    macros = config.mathjax3_config.get("tex", {}).get("macros", {})
    elements = dict(config.latex_elements)
    short_title = config.html_title.split(":")[0]
    elements["preamble"] = (elements.get("preamble", "") + latex_macros(macros) + BIBLIOGRAPHY_IN_ITS_CHAPTER
                            + MISSING_GLYPHS + RUNNING_HEAD % short_title)
    config.latex_elements = elements


def _omit_solutions_from_pdf(app):
    # as in the student edition; read while the sources are read, which comes after this event
    if app.builder.name == "latex":
        from hide_gated_solutions import HiddenSolutionStart
        app.config.hide_solutions = True
        app.add_directive("solution-start", HiddenSolutionStart, override=True)


class ExerciseReferencesAcrossPages(SphinxPostTransform):
    """In LaTeX, sphinx-exercise links references to exercises on the same page only (its labels are
    "exercise:<label>", and its numbers are text, not LaTeX counters). A reference from another page
    (the teacher's guide) would point at a missing label and print the section number: make it one
    of sphinx-exercise's own references, which carry the site's number as text."""

    default_priority = 20   # after references are resolved (10)
    formats = ("latex",)

    def run(self):
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in list(self.document.findall(addnodes.number_reference)):
            label = node.get("refuri", "").rpartition("#")[2]
            if not node.get("refid") and label in registry:
                reference = exercise_latex_number_reference(refid=label)
                reference += node.children
                node.replace_self(reference)


class ProofsAsText(SphinxPostTransform):
    """sphinx-proof sets a proof as an admonition without a title, which LaTeX draws as a box with an
    empty title bar. In print a proof reads best as text that opens with "Proof." (it does) and ends
    with a square."""

    default_priority = 20
    formats = ("latex",)

    def run(self):
        for proof in list(self.document.findall(proof_node)):
            content = [child for box in proof.children for child in
                       (box.children if isinstance(box, nodes.admonition) else [box])]
            if content and isinstance(content[-1], nodes.paragraph):
                content[-1] += nodes.raw("", r"\hfill\ensuremath{\square}", format="latex")   # end of proof
            proof.replace_self(content)


class BookStructure(SphinxPostTransform):
    """Number the PDF's chapters as the site does. The root page's sections would otherwise be chapters
    1-5 of the PDF and the book's chapters 6-9 (and so would their equations): the root page becomes one
    unnumbered chapter, the preface; the numbered part of the table of contents is numbered from 1; the
    teacher's guide and the appendix pages stay unnumbered, as on the site."""

    default_priority = 900
    formats = ("latex",)

    def run(self):
        root = next(iter(self.document.findall(nodes.section)), None)
        if root is None or not isinstance(root[0], nodes.title):
            return
        toctrees = [child for child in root.children if isinstance(child, nodes.compound)]
        preface = nodes.section(ids=["book-preface"])
        preface += nodes.title(text=root[0].astext())
        for child in list(root.children[1:]):
            if not isinstance(child, nodes.compound):
                root.remove(child)
                preface += child
        root.insert(1, preface)
        root.insert(1, _latex(r"\edef\booksecnumdepth{\arabic{secnumdepth}}\setcounter{secnumdepth}{-1}"))
        numbered = False
        for toctree in toctrees:
            docs = [node["docname"] for node in toctree.findall(addnodes.start_of_file)]
            now = any(self.env.toc_secnumbers.get(doc) for doc in docs)
            if now != numbered:
                depth = r"\booksecnumdepth" if now else "-1"
                toctree.parent.insert(toctree.parent.index(toctree), _latex(rf"\setcounter{{secnumdepth}}{{{depth}}}"))
                numbered = now


def _latex(text):
    return nodes.raw("", text + "\n", format="latex")


def _footer(app, pagename, templatename, context, doctree):
    """Every page says which version it is, and links to the PDF of that version where one was built."""
    footer = f'<p class="book-edition">Version {app.config.release}'
    if (Path(app.outdir) / PDF_NAME).is_file():
        footer += f' · <a class="book-pdf" href="{context["pathto"](PDF_NAME, 1)}">PDF edition</a>'
    context["theme_extra_footer"] = footer + "</p>"


def _copy_pdf(app):
    if app.builder.format == "html" and _built_pdf(app).is_file():
        shutil.copyfile(_built_pdf(app), Path(app.outdir) / PDF_NAME)


def setup(app):
    app.setup_extension("hide_gated_solutions")   # assignments/tools, listed in _config.yml
    app.add_post_transform(ExerciseReferencesAcrossPages)
    app.add_post_transform(ProofsAsText)
    app.add_post_transform(BookStructure)
    app.connect("config-inited", _configure)
    app.connect("builder-inited", _omit_solutions_from_pdf)
    app.connect("builder-inited", _copy_pdf)
    app.connect("html-page-context", _footer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
