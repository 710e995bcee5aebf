"""User text written into line-based formats (.ics properties, mail headers and bodies, header values)."""

from __future__ import annotations

import re

# Every sequence str.splitlines() breaks a line at: CRLF, LF, CR, VT, FF, FS, GS, RS, NEL, LS and PS.
# Calendar programs and mail parsers disagree on which of them end a line, so none of them passes.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def replace_line_breaks(text: str, replacement: str) -> str:
    """``text`` with each line break (CRLF counts as one) replaced by ``replacement``.

    ``"\\n"`` for multi-line text (an .ics DESCRIPTION, a mail body), ``" "`` for a value that must stay on
    one line (SUMMARY, LOCATION, a CN parameter, a mail subject, a file name in a header).
    """
    return _LINE_BREAK.sub(replacement, text)
