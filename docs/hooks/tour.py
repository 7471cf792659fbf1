"""MkDocs hook: run the lecture tour at build time and put its pictures on the tour page.

``docs/tour.md`` holds the prose and one marker line, ``<!-- tour -->``. When MkDocs collects
the files, this hook runs ``wengert.demos.run_tour`` into a temporary folder, adds each PNG to
the site as ``tour/<file>`` and hands MkDocs a copy of the page in which the marker is
replaced by one section per demo: title, caption, pictures and text result. Nothing generated
is written into ``docs/``. A demo that reports ``ok=False`` is a warning, so ``make docs``
(strict) fails on it.

Imports: the standard library, MkDocs and ``wengert.demos`` (which needs the ``tour`` extra).
"""

from __future__ import annotations

import html
import io
import logging
import re
import tempfile
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.tour")

PAGE = "tour.md"
MARKER = "<!-- tour -->"
IMAGE_DIR = "tour"


def _fence(text: str) -> str:
    # A fence longer than any run of backticks inside, so the text cannot close it early.
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _plain(text: str) -> str:
    # Titles and captions are plain text (the tour's index.html escapes them too): no
    # Markdown emphasis from the underscores in v_k, no HTML from a < in a formula.
    return re.sub(r"([\\`*_\[\]{}#])", r"\\\1", html.escape(text.strip(), quote=False))


def _section(result, image_uris: list[str]) -> str:
    title = _plain(result.title)
    parts = [f"## {title} {{#{result.name}}}", "", _plain(result.caption), ""]
    for uri in image_uris:
        parts += [f"![{title}]({uri})", ""]
    text = result.text.rstrip()
    if text:
        fence = _fence(text)
        parts += [f"{fence}text", text, fence, ""]
    return "\n".join(parts)


def _run_tour(out_dir: Path) -> list:
    try:
        from wengert.demos import run_tour
    except ImportError as exc:
        raise PluginError(
            f"the tour page runs wengert.demos.run_tour, which could not be imported: {exc}. "
            "`make docs` installs the docs extra, which includes the tour extra the demos need."
        ) from exc
    stream = io.StringIO()
    try:
        return run_tour(out_dir, progress=False, stream=stream)
    except Exception as exc:
        raise PluginError(
            f"running the tour for {PAGE} failed: {type(exc).__name__}: {exc}. "
            f"Its output was:\n{stream.getvalue()}Run `make demo` to reproduce it."
        ) from exc


def on_files(files: Files, config) -> Files:
    """Run the tour; add its pictures and the expanded tour page to the site's files."""
    page = files.get_file_from_path(PAGE)
    if page is None:
        raise PluginError(f"docs/{PAGE} is missing; it holds the tour's prose and {MARKER}.")
    source = page.content_string
    if MARKER not in source:
        raise PluginError(f"docs/{PAGE} has no {MARKER} line to put the demos in.")
    with tempfile.TemporaryDirectory(prefix="wengert-tour-") as tmp:
        out_dir = Path(tmp)
        sections = []
        for result in _run_tour(out_dir):
            if not result.ok:
                log.warning(
                    "demo %r reported a failure; its text result was:\n%s",
                    result.name, result.text,
                )
            uris = []
            for image in result.images:
                image = Path(image)
                rel = image.relative_to(out_dir) if image.is_relative_to(out_dir) else image.name
                uri = f"{IMAGE_DIR}/{Path(rel).as_posix()}"
                # Read now: the temporary folder is gone by the time MkDocs copies files.
                files.append(File.generated(config, uri, content=image.read_bytes()))
                uris.append(uri)
            sections.append(_section(result, uris))
    files.remove(page)
    files.append(File.generated(config, PAGE, content=source.replace(MARKER, "\n".join(sections))))
    return files
