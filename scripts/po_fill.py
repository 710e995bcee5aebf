"""Fill a .po file from a JSON object {msgid: msgstr}; print what is still missing.

Usage:
    python scripts/po_fill.py locale/en/LC_MESSAGES/django.po                 # list what is missing
    python scripts/po_fill.py locale/en/LC_MESSAGES/django.po batch.json      # fill, then list
    python scripts/po_fill.py locale/en/LC_MESSAGES/django.po batch.json --overwrite
    python scripts/po_fill.py locale/en/LC_MESSAGES/django.po --fuzzy         # fuzzy entries and their guess

"Missing" means an entry whose msgstr (or one of its plural msgstr[n]) is empty, or that is marked
`#, fuzzy` (makemessages guesses those from similar strings; gettext ignores them at runtime). Each missing
msgid is printed as one JSON string per line, so an empty output means the catalogue is complete.

An entry with a context (pgettext, {% translate "..." context "..." %}) is keyed as "context\\u0004msgid",
exactly as it is listed, e.g. "submit button\\u0004設定" for msgctxt "submit button" / msgid "設定".
A value in the JSON file is a string, or for a plural entry (msgid_plural) a list [singular, plural]. Filling
an entry clears its fuzzy flag and the `#|` previous-msgid comments. By default only missing entries are
filled; --overwrite also replaces existing translations (to correct them). Only the entries that change are
rewritten; every other line of the file is kept byte for byte.
Then `make messages` (or compilemessages) builds the .mo file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")\s*$")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
WRAP = 76


@dataclass
class Entry:
    comments: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    raw: dict[str, list[str]] = field(default_factory=dict)
    obsolete: bool = False

    @property
    def msgid(self) -> str:
        key = self.fields.get("msgid", "")
        ctxt = self.fields.get("msgctxt")
        return f"{ctxt}\x04{key}" if ctxt is not None else key

    @property
    def msgstrs(self) -> list[str]:
        return [value for name, value in self.fields.items() if name.startswith("msgstr")]

    @property
    def is_plural(self) -> bool:
        return "msgid_plural" in self.fields

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def missing(self) -> bool:
        if self.obsolete or not self.fields.get("msgid"):
            return False
        return self.fuzzy or not self.msgstrs or any(not value for value in self.msgstrs)


def unquote(literal: str) -> str:
    """Decode one C-style quoted PO string literal."""
    body = literal.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), body)


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\t", "\\t").replace("\n", "\\n") + '"'


def parse_block(block: str) -> Entry | None:
    """Parse one blank-line separated block; None when it holds no entry."""
    entry = Entry()
    current: str | None = None
    for raw in block.splitlines():
        line = raw
        if line.startswith("#~"):
            entry.obsolete = True
            line = line[2:].lstrip()
            if not line:
                continue
        if line.startswith("#,"):
            entry.flags.extend(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith("#"):
            entry.comments.append(raw)
            continue
        match = KEYWORD.match(line)
        if match:
            current = match.group(1)
            entry.fields[current] = unquote(match.group(2))
            entry.raw[current] = [raw]
        elif line.startswith('"') and current is not None:
            entry.fields[current] += unquote(line)
            entry.raw[current].append(raw)
    return entry if "msgid" in entry.fields else None


def format_field(name: str, text: str) -> list[str]:
    """Write a field the way msgmerge does: one line when short, else "" then lines ending at \\n."""
    if len(name) + len(quote(text)) + 1 <= WRAP + 4 and "\n" not in text[:-1]:
        return [f"{name} {quote(text)}"]
    lines = [f'{name} ""']
    for piece in re.findall(r"[^\n]*\n|[^\n]+", text):
        lines.append(quote(piece))
    return lines


def format_entry(entry: Entry) -> str:
    lines = [line for line in entry.comments if not line.startswith("#|")]
    if entry.flags:
        lines.append("#, " + ", ".join(entry.flags))
    for name, value in entry.fields.items():
        # The source strings keep their original lines; only translations are rewritten.
        keep = not name.startswith("msgstr") and name in entry.raw
        lines.extend(entry.raw[name] if keep else format_field(name, value))
    return "\n".join(lines)


def apply(entry: Entry, value: str | list[str]) -> None:
    if entry.is_plural:
        forms = value if isinstance(value, list) else [value, value]
        plural_keys = sorted((k for k in entry.fields if k.startswith("msgstr[")), key=lambda k: int(k[7:-1]))
        for index, key in enumerate(plural_keys or ["msgstr[0]", "msgstr[1]"]):
            entry.fields[key] = forms[min(index, len(forms) - 1)]
    else:
        if isinstance(value, list):
            raise ValueError(f"{entry.msgid!r} is not a plural entry; give a string")
        entry.fields["msgstr"] = value
    entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]


HEADER_DEFAULTS = {
    # msgfmt --check warns while these keep makemessages' placeholders.
    "Project-Id-Version": "e2RPRO",
    "Last-Translator": "e2RPRO team",
    "Language-Team": "English",
    "Language": "en",
}


def normalise_header(entry: Entry) -> bool:
    header = entry.fields.get("msgstr", "")
    fixed = header
    for name, value in HEADER_DEFAULTS.items():
        fixed = re.sub(
            rf"(?m)^{name}: *(|PACKAGE VERSION|FULL NAME <EMAIL@ADDRESS>|LANGUAGE <LL@li.org>)$",
            f"{name}: {value}",
            fixed,
        )
    if "PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE" in fixed:
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M%z")
        fixed = fixed.replace("YEAR-MO-DA HO:MI+ZONE", stamp)
    changed = fixed != header or entry.fuzzy
    entry.fields["msgstr"] = fixed
    entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
    return changed


def process(text: str, translations: dict, *, overwrite: bool) -> tuple[str, list[Entry]]:
    blocks = re.split(r"\n(?:[ \t]*\n)+", text.rstrip("\n"))
    out, entries = [], []
    for block in blocks:
        entry = parse_block(block)
        if entry is None or entry.obsolete:
            out.append(block)
            continue
        changed = False
        if not entry.fields["msgid"]:
            changed = normalise_header(entry)
        elif entry.msgid in translations and (overwrite or entry.missing):
            apply(entry, translations[entry.msgid])
            changed = True
        entries.append(entry)
        out.append(format_entry(entry) if changed else block)
    return "\n\n".join(out) + "\n", entries


def read_entries(path: str | Path) -> list[Entry]:
    """The live entries of a .po file: no header, no obsolete (#~) entries. Used by the translation tests."""
    _text, entries = process(Path(path).read_text(), {}, overwrite=False)
    return [entry for entry in entries if entry.fields["msgid"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("po")
    parser.add_argument("json", nargs="?")
    parser.add_argument("--overwrite", action="store_true", help="replace existing translations too")
    parser.add_argument("--fuzzy", action="store_true", help="print fuzzy entries with their guess")
    args = parser.parse_args(argv)
    translations = json.loads(Path(args.json).read_text()) if args.json else {}
    path = Path(args.po)
    text, entries = process(path.read_text(), translations, overwrite=args.overwrite)
    if args.json:
        path.write_text(text)
    for entry in entries:
        if args.fuzzy:
            if entry.fuzzy:
                print(json.dumps({"msgid": entry.msgid, "guess": entry.msgstrs}, ensure_ascii=False))
        elif entry.missing:
            print(json.dumps(entry.msgid, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
