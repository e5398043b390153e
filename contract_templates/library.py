"""Load and validate the clause library: ``manifest.toml`` plus one TOML file per part.

Data format (see docs/contract-templates.md)::

    # manifest.toml
    template_id = "jointip-mvp-joint-ip"
    template_version = "1.0.0"
    title = "..."
    parts = ["01_parties", "02_recitals", ...]      # file stems under clauses/, in document order

    # clauses/09_results_ip.toml
    key = "results_ip"                               # clause ids start with "<key>."
    heading = "Results IP"
    numbering = "clause"                             # front | recitals | clause | schedule
    [[clause]]
    id = "results_ip.joint"
    version = 1
    heading = "Joint ownership"                      # optional
    when = { model = "joint" }                       # optional; see context.FACTS
    text = '''
    Paragraphs are separated by blank lines. {ip.shares.vendor} is a placeholder, **Results** is
    bold (a term at its definition), [, VAT code {vendor.vat_code}] is dropped when its placeholder
    has no value, {clause.acceptance} is the number of the part keyed "acceptance", a paragraph
    "(a) ..." is a list item and a paragraph "@milestones_table" inserts a generated table.
    '''

Everything is checked when the library loads; a mistake raises ``ClauseLibraryError`` naming
the file and clause, never at render time.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from contract_templates.context import BLOCKS, FACTS, PLACEHOLDERS, Condition, Fact, implies

Numbering: TypeAlias = Literal["front", "recitals", "clause", "schedule"]
_NUMBERINGS: frozenset[str] = frozenset({"front", "recitals", "clause", "schedule"})
_CLAUSE_ID = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+")
_PART_KEY = re.compile(r"[a-z][a-z0-9_]*")
_TOKEN = re.compile(r"(\*\*|\{[^{}]*\}|\[|\])")
_NAME = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*")
_ITEM = re.compile(r"\((?:[a-z]{1,4}|[0-9]{1,2})\) ")
_BLOCK = re.compile(r"@([a-z][a-z0-9_.]*)")


class ClauseLibraryError(ValueError):
    """The clause library's data files are malformed; the message names the file and clause."""


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    bold: bool


@dataclass(frozen=True, slots=True)
class Slot:
    name: str
    bold: bool


@dataclass(frozen=True, slots=True)
class Ref:
    """A cross-reference to a numbered part: its number, written as a field that follows it in Word."""

    part: str  # the part key
    number: str  # the number the part has (fixed by the manifest)
    bold: bool

    @property
    def text(self) -> str:
        return self.number


@dataclass(frozen=True, slots=True)
class Optional:
    """Rendered only when every slot inside has a value."""

    pieces: tuple[Text | Slot | Ref, ...]


Item: TypeAlias = Text | Slot | Ref | Optional


@dataclass(frozen=True, slots=True)
class Paragraph:
    kind: Literal["body", "item", "block"]
    items: tuple[Item, ...] = ()
    block: str | None = None


@dataclass(frozen=True, slots=True)
class Clause:
    id: str
    version: int
    heading: tuple[Item, ...] | None
    when: Condition
    paragraphs: tuple[Paragraph, ...]


@dataclass(frozen=True, slots=True)
class Part:
    key: str
    file: str
    heading: str
    numbering: Numbering
    number: int | None  # for numbering == "clause": fixed by the manifest, never by the terms
    clauses: tuple[Clause, ...]


@dataclass(frozen=True, slots=True)
class Library:
    template_id: str
    template_version: str
    title: str
    parts: tuple[Part, ...]

    def clause_ids(self) -> list[str]:
        return [c.id for part in self.parts for c in part.clauses]

    def headings(self) -> list[tuple[str, str, str | None]]:
        """(id, part key, heading) of every part and clause in document order: what comments cite.

        A part's id is its key; a clause heading's slots show as ``{name}``; None: no heading.
        """
        out: list[tuple[str, str, str | None]] = []
        for part in self.parts:
            out.append((part.key, part.key, part.heading))
            out += [(c.id, part.key, _plain(c.heading) if c.heading else None) for c in part.clauses]
        return out


def _plain(items: tuple[Item, ...]) -> str:
    def text(item: Item) -> str:
        if isinstance(item, Text | Ref):
            return item.text
        if isinstance(item, Slot):
            return "{" + item.name + "}"
        return "".join(text(piece) for piece in item.pieces)

    return "".join(text(item) for item in items)


def _fail(where: str, message: str) -> ClauseLibraryError:
    return ClauseLibraryError(f"{where}: {message}")


def _keys(table: Mapping[str, Any], allowed: set[str], required: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    missing = sorted(required - set(table))
    if missing:
        raise _fail(where, f"missing key(s) {', '.join(missing)}")


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, "must be a non-empty string")
    return value


def parse_condition(raw: object, where: str) -> Condition:
    """``{fact = value}`` or ``{fact = [value, ...]}``; all entries must hold (AND)."""
    if raw is None:
        return MappingProxyType({})
    if not isinstance(raw, dict):
        raise _fail(where, '`when` must be a table such as { model = "joint" }')
    parsed: dict[str, frozenset[Fact]] = {}
    for name, value in raw.items():
        if name not in FACTS:
            raise _fail(where, f"unknown condition field {name!r}; known: {', '.join(sorted(FACTS))}")
        options = value if isinstance(value, list) else [value]
        if not options:
            raise _fail(where, f"condition {name!r} lists no values")
        for option in options:
            if not isinstance(option, str | bool) or option not in FACTS[name]:
                domain = ", ".join(sorted(repr(v) for v in FACTS[name]))
                raise _fail(where, f"condition {name!r} = {option!r} is not one of {domain}")
        parsed[name] = frozenset(options)
    return MappingProxyType(parsed)


def _parse_inline(
    text: str, where: str, when: Condition, refs: Mapping[str, str], *, heading: bool = False
) -> tuple[Item, ...]:
    items: list[Item] = []
    optional: list[Text | Slot | Ref] | None = None
    bold = False
    after_ref = False
    for token in _TOKEN.split(text):
        if not token:
            continue
        if after_ref and re.match(r"\.[0-9]", token):
            # Sub-clause numbers depend on which variants apply; only parts have fixed numbers.
            raise _fail(where, "refer to a part ({clause.key}), not to a numbered sub-clause")
        after_ref = token.startswith("{clause.")
        piece: Text | Slot | Ref
        if token == "**":
            if heading:
                raise _fail(where, "headings cannot use ** (they are styled already)")
            bold = not bold
            continue
        if token == "[":
            if optional is not None:
                raise _fail(where, "optional segments [...] cannot be nested")
            optional = []
            continue
        if token == "]":
            if optional is None:
                raise _fail(where, "] without a matching [")
            if not any(isinstance(p, Slot) for p in optional):
                raise _fail(where, "an optional segment [...] must contain a placeholder")
            items.append(Optional(tuple(optional)))
            optional = None
            continue
        if token.startswith("{"):
            name = token[1:-1]
            if not _NAME.fullmatch(name):
                raise _fail(where, f"malformed placeholder {token!r}")
            if name.startswith("clause."):
                if name[7:] not in refs:
                    raise _fail(
                        where, f"{token} refers to no numbered part; known: {', '.join(sorted(refs))}"
                    )
                piece = Ref(name[7:], refs[name[7:]], bold)
            elif name not in PLACEHOLDERS:
                raise _fail(where, f"unknown placeholder {token}")
            else:
                if optional is None and not implies(when, PLACEHOLDERS[name]):
                    need = ", ".join(f"{k} in {sorted(map(str, v))}" for k, v in PLACEHOLDERS[name].items())
                    raise _fail(
                        where,
                        f"placeholder {token} has a value only when {need}; "
                        "narrow the clause's `when` or wrap it in an optional [...] segment",
                    )
                piece = Slot(name, bold)
        else:
            if "{" in token or "}" in token:
                raise _fail(where, f"stray brace in {token!r}")
            piece = Text(token, bold)
        (items if optional is None else optional).append(piece)
    if optional is not None:
        raise _fail(where, "[ without a matching ]")
    if bold:
        raise _fail(where, "unbalanced ** (bold is not closed)")
    return tuple(items)


def _parse_text(text: str, where: str, when: Condition, refs: Mapping[str, str]) -> tuple[Paragraph, ...]:
    paragraphs: list[Paragraph] = []
    for raw in re.split(r"\n\s*\n", text.strip()):
        line = " ".join(part.strip() for part in raw.splitlines() if part.strip())
        block = _BLOCK.fullmatch(line)
        if block:
            name = block.group(1)
            if name not in BLOCKS:
                raise _fail(where, f"unknown block @{name}; known: {', '.join(sorted(BLOCKS))}")
            if not implies(when, BLOCKS[name]):
                raise _fail(where, f"block @{name} needs a narrower `when`")
            paragraphs.append(Paragraph("block", block=name))
            continue
        if line.startswith("@"):
            raise _fail(where, f"malformed block line {line!r}")
        kind: Literal["body", "item"] = "item" if _ITEM.match(line) else "body"
        paragraphs.append(Paragraph(kind, _parse_inline(line, where, when, refs)))
    if not paragraphs:
        raise _fail(where, "text is empty")
    return tuple(paragraphs)


def _parse_clause(raw: object, where: str, key: str, refs: Mapping[str, str]) -> Clause:
    if not isinstance(raw, dict):
        raise _fail(where, "each [[clause]] must be a table")
    clause_id = raw.get("id")
    if isinstance(clause_id, str):
        where = f"{where} ({clause_id})"
    _keys(raw, {"id", "version", "heading", "when", "text"}, {"id", "version", "text"}, where)
    if not isinstance(clause_id, str) or not _CLAUSE_ID.fullmatch(clause_id):
        raise _fail(where, "id must look like 'part.name' (lowercase, dots between names)")
    if not clause_id.startswith(f"{key}."):
        raise _fail(where, f"id must start with the part key {key!r}")
    version = raw["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _fail(where, "version must be a positive integer")
    when = parse_condition(raw.get("when"), where)
    heading = None
    if "heading" in raw:
        heading = _parse_inline(_string(raw["heading"], f"{where} heading"), where, when, refs, heading=True)
    paragraphs = _parse_text(_string(raw["text"], f"{where} text"), where, when, refs)
    return Clause(clause_id, version, heading, when, paragraphs)


def build_library(manifest: str, part_files: Mapping[str, str]) -> Library:
    """Parse and validate a library from TOML texts: the manifest and ``{file stem: part TOML}``."""
    try:
        man = tomllib.loads(manifest)
    except tomllib.TOMLDecodeError as error:
        raise _fail("manifest.toml", f"not valid TOML: {error}") from error
    _keys(
        man,
        {"template_id", "template_version", "title", "parts"},
        {"template_id", "template_version", "title", "parts"},
        "manifest.toml",
    )
    stems = man["parts"]
    if not isinstance(stems, list) or not stems or not all(isinstance(s, str) for s in stems):
        raise _fail("manifest.toml", "parts must be a non-empty list of file stems")
    if len(set(stems)) != len(stems):
        raise _fail("manifest.toml", "a part is listed twice")
    raw_parts: list[tuple[str, dict[str, Any]]] = []
    for stem in stems:
        file = f"clauses/{stem}.toml"
        if stem not in part_files:
            raise _fail("manifest.toml", f"part {stem!r} has no file {file}")
        try:
            raw_parts.append((file, tomllib.loads(part_files[stem])))
        except tomllib.TOMLDecodeError as error:
            raise _fail(file, f"not valid TOML: {error}") from error
    unlisted = sorted(set(part_files) - set(stems))
    if unlisted:
        raise _fail("manifest.toml", f"part file(s) not listed in parts: {', '.join(unlisted)}")

    # First pass: part keys and the clause numbers they get (fixed by the manifest).
    refs: dict[str, str] = {}
    numbers: list[int | None] = []
    seen_keys: set[str] = set()
    for file, raw in raw_parts:
        _keys(raw, {"key", "heading", "numbering", "clause"}, {"key", "heading", "numbering", "clause"}, file)
        key, numbering = raw["key"], raw["numbering"]
        if not isinstance(key, str) or not _PART_KEY.fullmatch(key):
            raise _fail(file, "key must be a lowercase name")
        if key in seen_keys:
            raise _fail(file, f"duplicate part key {key!r}")
        seen_keys.add(key)
        if numbering not in _NUMBERINGS:
            raise _fail(file, f"numbering must be one of {', '.join(sorted(_NUMBERINGS))}")
        if numbering == "clause":
            refs[key] = str(len(refs) + 1)
            numbers.append(len(refs))
        else:
            numbers.append(None)

    parts: list[Part] = []
    seen_ids: dict[str, str] = {}
    for (file, raw), number in zip(raw_parts, numbers, strict=True):
        clauses_raw = raw["clause"]
        if not isinstance(clauses_raw, list) or not clauses_raw:
            raise _fail(file, "needs at least one [[clause]]")
        clauses = []
        for i, clause_raw in enumerate(clauses_raw):
            clause = _parse_clause(clause_raw, f"{file} clause {i + 1}", raw["key"], refs)
            if clause.id in seen_ids:
                raise _fail(file, f"duplicate clause id {clause.id!r} (also in {seen_ids[clause.id]})")
            seen_ids[clause.id] = file
            clauses.append(clause)
        parts.append(
            Part(
                raw["key"],
                file,
                _string(raw["heading"], f"{file} heading"),
                raw["numbering"],
                number,
                tuple(clauses),
            )
        )
    return Library(
        template_id=_string(man["template_id"], "manifest.toml template_id"),
        template_version=_string(man["template_version"], "manifest.toml template_version"),
        title=_string(man["title"], "manifest.toml title"),
        parts=tuple(parts),
    )


def shipped_files() -> tuple[str, dict[str, str]]:
    """The manifest and part files shipped in this package (the only I/O this package does)."""
    root = resources.files("contract_templates")
    manifest = (root / "manifest.toml").read_text(encoding="utf-8")
    parts = {
        entry.name.removesuffix(".toml"): entry.read_text(encoding="utf-8")
        for entry in (root / "clauses").iterdir()
        if entry.name.endswith(".toml")
    }
    return manifest, parts


@cache
def load_library() -> Library:
    """The shipped library, parsed and validated once per process."""
    return build_library(*shipped_files())
