"""HTML pages and reports: one Jinja2 environment with autoescape, and one way data reaches a script.

Why one module: the gap map, the network view, the meeting report and the API's pages all show
text that any editor (or an imported spreadsheet) can set — a node's name, an area's name, a
reason. Stored data is input too: nothing in the catalogue may break a page. So every page is a
template in ``resourcemap/templates/`` rendered with autoescape (text is never HTML unless it is
:class:`Markup` made here), and data for a script goes into a ``<script type="application/json">``
element through :func:`script_json`, which escapes ``<``, ``>``, ``&`` and U+2028/U+2029 — so no
value can end the element (``</script>``), open a comment that swallows it (``<!--<script>``) or
break a JavaScript string. Pages read it with ``JSON.parse(el.textContent)``.

>>> script_json({"name": "</script><!--<script>&\\u2028"})
Markup('{"name":"\\\\u003c/script\\\\u003e\\\\u003c!--\\\\u003cscript\\\\u003e\\\\u0026\\\\u2028"}')
>>> render_string("<p>{{ name }}</p>", name="<b>居場所</b>")
'<p>&lt;b&gt;居場所&lt;/b&gt;</p>'
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

__all__ = ["Markup", "Section", "render", "render_string", "script_json", "environment", "static_text"]

#: What JSON may contain but an HTML ``<script>`` element (or a JS string) must not see raw.
_SCRIPT_UNSAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                  ord("\u2028"): "\\u2028", ord("\u2029"): "\\u2029"}


@dataclass(frozen=True)
class Section:
    """An extra section of a report: a title and HTML made by a template of this module (:class:`Markup`)."""

    title: str
    html: Markup
    anchor: str = ""


def script_json(value: Any, *, indent: int | None = None) -> Markup:
    """*value* as JSON that is safe inside ``<script type="application/json">`` (and equal to ``json.dumps``
    once parsed)."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":"))
    return Markup(text.translate(_SCRIPT_UNSAFE))


@cache
def environment() -> Environment:
    """The one Jinja2 environment: the package's templates, autoescape on, undefined names are errors."""
    env = Environment(loader=PackageLoader("resourcemap", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["script_json"] = script_json
    return env


def render(template: str, **context: Any) -> str:
    """Render ``resourcemap/templates/<template>`` with *context* (text escaped unless it is :class:`Markup`)."""
    return environment().get_template(template).render(**context)


def render_string(source: str, **context: Any) -> str:
    """Render a template given as text, with the same environment (for small fragments and tests)."""
    return environment().from_string(source).render(**context)


@cache
def static_text(name: str) -> Markup:
    """A file of ``resourcemap/static/`` (the pages' own scripts and styles), for a page that must inline it —
    a file the CLI writes works offline on its own; the server links the same file from ``/static``."""
    return Markup(resources.files("resourcemap").joinpath("static").joinpath(name).read_text(encoding="utf-8"))
