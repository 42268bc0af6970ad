"""MkDocs hook: Sphinx roles in docstrings become cross-references.

The docstrings are written for Sphinx-aware readers too (``:class:`~sklearn_mhr.MHRAudioClassifier```),
and mkdocstrings leaves those roles as literal text. Each role is turned into an optional
mkdocs-autorefs reference: a link where the name is in the API reference, plain code where it is
not (another package's class, a name relative to its module). ``~`` shows the last component
only, as in Sphinx.
"""

from __future__ import annotations

import re

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|obj|exc|const):"
                  r"<code>(?P<tilde>~?)(?P<name>[\w.]+)(?:\(\))?</code>")


def on_page_content(html, page, config, files):
    def reference(match):
        name = match["name"]
        shown = name.rsplit(".", 1)[-1] if match["tilde"] else name
        return f'<autoref identifier="{name}" optional><code>{shown}</code></autoref>'

    return ROLE.sub(reference, html)
