"""Griffe extensions for the API pages: runtime-built functions and Sphinx-style roles.

``RuntimeFunctions``: most of ``wengert.numpy`` is made by factories
(``sin = _unary(sin_p, np.sin)``), so static analysis sees attributes without signatures or
docstrings. For each module under the packages in ``PACKAGES``, it imports the module and
replaces every such attribute whose runtime value is a function by the function griffe's
inspector finds, docstring and signature included. Everything else stays statically analysed,
so nothing else is imported (in particular not ``wengert.__main__``, which runs the command
line on import).

``SphinxRoles``: the docstrings cross-reference with Sphinx roles (``:func:`ravel```,
``:class:`~wengert.core.ir.Eqn```), which Markdown would show literally. Each becomes a code
span with the name as Sphinx would display it (``~`` keeps the last component).

Loaded by mkdocstrings (mkdocs.yml, ``extensions``); imports griffe and the standard library.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import griffe

PACKAGES = ("wengert.numpy",)

_ROLE = re.compile(r":(?:py:)?(?:func|meth|class|mod|attr|data|obj|exc):`(~?)([^`]+)`")


class RuntimeFunctions(griffe.Extension):
    """Replace attributes bound to runtime-built functions by their inspected functions."""

    def on_module_members(self, *, mod: griffe.Module, agent: Any, **kwargs: Any) -> None:
        """Swap in inspected functions for the factory-built attributes of ``mod``."""
        if isinstance(agent, griffe.Inspector):
            return
        if not any(mod.path == p or mod.path.startswith(p + ".") for p in PACKAGES):
            return
        built = [
            name
            for name, member in mod.members.items()
            if not member.is_alias and member.is_attribute
        ]
        if not built:
            return
        inspected = griffe.inspect(
            mod.path,
            filepath=mod.filepath,
            # griffe puts the package root in front of these; the rest finds NumPy.
            import_paths=list(sys.path),
            docstring_parser=agent.docstring_parser,
            docstring_options=agent.docstring_options,
        )
        for name in built:
            runtime = inspected.members.get(name)
            if runtime is not None and not runtime.is_alias and runtime.is_function:
                mod.set_member(name, runtime)


def _display(match: re.Match) -> str:
    tilde, target = match.groups()
    name = target.rsplit(".", 1)[-1] if tilde else target
    return f"`{name}`"


class SphinxRoles(griffe.Extension):
    """Show Sphinx cross-reference roles in docstrings as code spans."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the roles in ``obj``'s docstring before it is parsed."""
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_display, obj.docstring.value)
