"""Fill empty msgstr entries of a .po file from a JSON object {msgid: msgstr}; print what is still missing.

Usage: python scripts/po_fill.py locale/en/LC_MESSAGES/django.po translations.json
Then `make messages` (or compilemessages) builds the .mo file.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ENTRY = re.compile(r'(?ms)^(msgid (?:".*?"\n)+)(msgstr (?:".*?"\n)+)')


def _unquote(block: str, keyword: str) -> str:
    body = block[len(keyword) + 1 :]
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', body)
    joined = "".join(parts)
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), joined)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'msgstr "{escaped}"\n'


def main(po_path: str, json_path: str | None) -> int:
    translations = json.loads(Path(json_path).read_text()) if json_path else {}
    text = Path(po_path).read_text()
    missing = []

    def replace(match: re.Match) -> str:
        msgid = _unquote(match.group(1), "msgid")
        msgstr = _unquote(match.group(2), "msgstr")
        if not msgid or msgstr:
            return match.group(0)
        if msgid in translations:
            return match.group(1) + _quote(translations[msgid])
        missing.append(msgid)
        return match.group(0)

    Path(po_path).write_text(ENTRY.sub(replace, text))
    text = Path(po_path).read_text().replace("#, fuzzy\n", "")
    Path(po_path).write_text(text)
    for msgid in missing:
        print(json.dumps(msgid, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
