"""MkDocs hook: expand the ``wengert.numpy`` reference from the package's own ``__all__`` lists.

``wengert.numpy`` has more than two hundred functions, grouped by the private module that
defines them (``_core``, ``_reduce``, ...). A page asks for a group with a marker line::

    <!-- wnp:members _core -->      one mkdocstrings block per public name of that module
    <!-- wnp:index -->              every group as a list of links, one line per group

so a function added to a module's ``__all__`` appears on the site without editing a page.
Imports: the standard library, MkDocs and ``wengert.numpy``.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import posixpath
import re

log = logging.getLogger("mkdocs.hooks.numpy_reference")

# (module, page, heading): the order of the groups on the index.
GROUPS = (
    ("_construct", "api/numpy/construct.md", "Array creation and introspection"),
    ("_core", "api/numpy/elementwise.md", "Elementwise math, comparisons and logic"),
    ("_reduce", "api/numpy/reduce.md", "Reductions, scans, sorting and statistics"),
    ("_shape", "api/numpy/shape.md", "Shapes, joining and indexing"),
    ("_linalg", "api/numpy/products.md", "Products"),
)

_MARKER = re.compile(r"^<!-- wnp:(members|index)(?: (\w+))? -->$", re.MULTILINE)


def _names(module: str) -> list[str]:
    # A name listed by two modules belongs to the one whose object wengert.numpy exports.
    wnp = importlib.import_module("wengert.numpy")
    mod = importlib.import_module(f"wengert.numpy.{module}")
    return [n for n in mod.__all__ if getattr(wnp, n, None) is getattr(mod, n)]


def _members(module: str) -> str:
    # One block per function, so each gets its own heading and anchor wengert.numpy.<name>.
    blocks = [
        f"::: wengert.numpy.{name}\n"
        "    options:\n"
        "      show_root_full_path: false\n"
        "      heading_level: 2\n"
        for name in _names(module)
    ]
    return "\n".join(blocks)


def _index(src_uri: str) -> str:
    lines = []
    listed = set()
    for module, page, heading in GROUPS:
        names = _names(module)
        listed.update(names)
        links = ", ".join(f"[`{n}`][wengert.numpy.{n}]" for n in names)
        href = posixpath.relpath(page, posixpath.dirname(src_uri))
        lines.append(f"- **[{heading}]({href})**: {links}\n")
    wnp = importlib.import_module("wengert.numpy")
    missing = [n for n in wnp.__all__ if inspect.isfunction(getattr(wnp, n)) and n not in listed]
    if missing:
        log.warning(
            "%s: wengert.numpy functions %s belong to no group; add their module to GROUPS "
            "in docs/hooks/numpy_reference.py.", src_uri, ", ".join(missing)
        )
    return "\n".join(lines)


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Replace each ``wnp:`` marker of the page by the blocks or links it names."""

    def expand(match: re.Match) -> str:
        kind, module = match.group(1), match.group(2)
        if kind == "index":
            return _index(page.file.src_uri)
        if module not in {m for m, _, _ in GROUPS}:
            log.warning(
                "%s: unknown wengert.numpy module %r in a wnp:members marker; expected one "
                "of %s.", page.file.src_uri, module, ", ".join(m for m, _, _ in GROUPS)
            )
            return ""
        return _members(module)

    return _MARKER.sub(expand, markdown)
