"""The HTML page around a map: branca's Figure without its second template pass.

branca (under folium) renders each element's macro to text, then wraps that text in a new
``Element``, which compiles it as a Jinja template and renders it again when the page is
written. Any ``{{ ... }}`` or ``{% ... %}`` in a name from the data (which is inside that
text) would run there, in Python, on the planner's machine: ``{{ 7*7 }}`` becomes ``49`` and
``{{ lipsum.__globals__.os.popen(...) }}`` runs a command. :class:`Page` writes that finished
text out as it is.
"""

from __future__ import annotations

import contextlib
import threading

import branca.element
from branca.element import Element, Figure

__all__ = ["Page", "Text"]


class Text(Element):
    """Finished markup, written out as it is (never parsed as a template)."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "Text"
        self.text = str(text)

    def render(self, **kwargs) -> str:
        return self.text


_swap = threading.Lock()


@contextlib.contextmanager
def _finished_text():
    """While the page renders, the text branca wraps after rendering an element becomes a
    :class:`Text` at once: never compiled as a Jinja template (a megabyte of GeoJSON took
    seconds to compile, only to be replaced by :class:`Text` afterwards)."""
    def wrap(template=None, template_name=None):
        if template is None or template_name is not None:
            return Element(template, template_name)
        return Text(template)

    with _swap:
        branca.element.Element = wrap
        try:
            yield
        finally:
            branca.element.Element = Element


class Page(Figure):
    """A ``branca.element.Figure`` whose rendered parts are not rendered a second time."""

    def render(self, **kwargs) -> str:
        from planner.outputs._datum import align_overlays

        align_overlays(self)  # overlays of a map on GCJ-02 tiles are drawn in GCJ-02
        with _finished_text():
            for child in self._children.values():
                child.render(**kwargs)
        for part in (self.header, self.html, self.script):
            for name, child in list(part._children.items()):
                # plain Elements holding text: the markup that branca wrapped after rendering
                if type(child) is Element and child._template_str is not None:
                    text = Text(child._template_str)
                    text._parent = part
                    part._children[name] = text
        return self._template.render(this=self, kwargs=kwargs)
