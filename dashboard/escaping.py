"""Stored text shown as text: the one place that escapes a string from the database or a file for
each kind of markup the pages build.

A name, description or note comes from an imported ledger or a form, so it may hold anything. Put
into markup unescaped it can change what a page shows or make the browser fetch an address
outside the server (an ``<img>``, a markdown image, a plotly ``<a href>``). Every string that did
not come from the code or the settings goes through one of these on its way into:

- ``html``: HTML the code builds (st.html, unsafe_allow_html, pydeck tooltips);
- ``markdown``: Streamlit's markdown (st.markdown, caption, info, warning, error, success,
  subheader, widget labels): links, images, emphasis, ``:color[…]`` directives, LaTeX;
- ``plotly``: plotly's text (tick labels, hover texts, legend names, annotations), a subset of
  HTML.
"""

from __future__ import annotations

import html as _html
import re
import string
import unicodedata

# CommonMark lets a backslash escape any ASCII punctuation, which then reads as itself.
_MARKDOWN_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
# Streamlit's markdown (remark-gfm) turns a URL or an e-mail address in the parsed text into a
# link, whatever was escaped: after "http", "https" and "www" before their ":" or "." and after
# every "@" an invisible word joiner breaks the pattern (the text reads and copies the same).
_WORD_JOINER = "\u2060"
_AUTOLINK_STARTS = re.compile(r"(?i)(https?(?=:)|www(?=\.)|@)")


def _printable(value: object) -> str:
    """The text with line breaks as spaces and other control characters dropped."""
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cc")


def html(value: object) -> str:
    """``value`` as text inside HTML (element content or a quoted attribute)."""
    return _html.escape(_printable(value), quote=True)


def markdown(value: object) -> str:
    """``value`` as literal text inside Streamlit markdown: every ASCII punctuation mark is
    backslash-escaped, so nothing in it starts a link, image, emphasis, heading, list, directive
    or formula, and HTML tags show as typed; URLs and e-mail addresses are not made links."""
    unlinked = _AUTOLINK_STARTS.sub(lambda m: m.group(1) + _WORD_JOINER, _printable(value))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", unlinked)


def plotly(value: object) -> str:
    """``value`` as literal text in a plotly label or hover text (plotly reads a subset of HTML:
    tags and entities are escaped)."""
    return _html.escape(_printable(value), quote=False)
