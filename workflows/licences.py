"""SPDX licence ids we accept in open-source policies and delivery component lists, as data.

The ~140 ids most seen in software supply chains, each with a coarse category that drives the
``copyleft_without_approval`` advisory and the delivery component checks. Ids are the canonical
SPDX spellings; deprecated short forms are recognised only to suggest the current id.

A delivered component's licence is an SPDX *expression* (``MIT OR Apache-2.0``,
``GPL-2.0-only WITH Classpath-exception-2.0``), parsed by the ``license-expression`` library
against these ids (no I/O: its symbol table is built here, from the data above, at import).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
)

__all__ = [
    "SPDX_EXCEPTIONS",
    "SPDX_LICENCES",
    "LicenceCategory",
    "LicenceTerm",
    "is_copyleft",
    "licence_category",
    "parse_licence_expression",
]


class LicenceCategory(StrEnum):
    PERMISSIVE = "permissive"  # incl. public-domain dedications
    WEAK_COPYLEFT = "weak_copyleft"  # file or library scoped (LGPL, MPL, EPL, ...)
    STRONG_COPYLEFT = "strong_copyleft"  # the whole derived work (GPL, EUPL, ...)
    NETWORK_COPYLEFT = "network_copyleft"  # also triggered by offering it over a network (AGPL, ...)
    RESTRICTED = "restricted"  # source-available or non-commercial: not open source


_BY_CATEGORY: dict[LicenceCategory, tuple[str, ...]] = {
    LicenceCategory.PERMISSIVE: (
        "0BSD", "AFL-1.1", "AFL-1.2", "AFL-2.0", "AFL-2.1", "AFL-3.0", "AML", "Apache-1.0", "Apache-1.1",
        "Apache-2.0", "Artistic-1.0", "Artistic-1.0-Perl", "Artistic-2.0", "Beerware", "BlueOak-1.0.0",
        "BSD-1-Clause", "BSD-2-Clause", "BSD-2-Clause-Patent", "BSD-3-Clause", "BSD-3-Clause-Clear",
        "BSD-3-Clause-LBNL", "BSD-4-Clause", "BSD-Source-Code", "BSL-1.0", "bzip2-1.0.6", "CC-BY-3.0",
        "CC-BY-4.0", "CC-PDDC", "CC0-1.0", "curl", "ECL-2.0", "EFL-2.0", "FSFAP", "FTL", "HPND", "ICU",
        "IJG", "ImageMagick", "Info-ZIP", "ISC", "JSON", "Libpng", "libpng-2.0", "libtiff", "MIT",
        "MIT-0", "MIT-CMU", "MIT-Modern-Variant", "MulanPSL-2.0", "NCSA", "Net-SNMP", "NTP",
        "OLDAP-2.8", "OpenSSL", "PHP-3.0", "PHP-3.01", "PostgreSQL", "PSF-2.0", "Python-2.0",
        "Python-2.0.1", "Ruby", "TCL", "Unicode-3.0", "Unicode-DFS-2015", "Unicode-DFS-2016",
        "Unlicense", "UPL-1.0", "W3C", "W3C-20150513", "WTFPL", "X11", "Xnet", "Zlib",
        "zlib-acknowledgement", "ZPL-2.0", "ZPL-2.1",
    ),
    LicenceCategory.WEAK_COPYLEFT: (
        "APSL-2.0", "CDDL-1.0", "CDDL-1.1", "CECILL-C", "CPL-1.0", "EPL-1.0", "EPL-2.0", "ErlPL-1.1",
        "IPL-1.0", "LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later",
        "LGPL-3.0-only", "LGPL-3.0-or-later", "LGPLLR", "LPL-1.02", "MPL-1.0", "MPL-1.1", "MPL-2.0",
        "MPL-2.0-no-copyleft-exception", "MS-PL", "MS-RL", "NPL-1.1", "OFL-1.0", "OFL-1.1", "SPL-1.0",
    ),
    LicenceCategory.STRONG_COPYLEFT: (
        "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CECILL-2.0", "CECILL-2.1", "EUPL-1.0", "EUPL-1.1", "EUPL-1.2",
        "GFDL-1.2-only", "GFDL-1.2-or-later", "GFDL-1.3-only", "GFDL-1.3-or-later", "GPL-1.0-only",
        "GPL-1.0-or-later", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later",
        "ODbL-1.0", "OSL-1.0", "OSL-2.0", "OSL-2.1", "QPL-1.0", "Sleepycat",
    ),
    LicenceCategory.NETWORK_COPYLEFT: (
        "AGPL-1.0-only", "AGPL-1.0-or-later", "AGPL-3.0-only", "AGPL-3.0-or-later", "CPAL-1.0",
        "OSL-3.0", "RPL-1.5", "SSPL-1.0",
    ),
    LicenceCategory.RESTRICTED: (
        "BUSL-1.1", "CC-BY-NC-4.0", "CC-BY-NC-ND-4.0", "CC-BY-NC-SA-4.0", "CC-BY-ND-4.0", "Elastic-2.0",
        "PolyForm-Noncommercial-1.0.0", "PolyForm-Small-Business-1.0.0",
    ),
}  # fmt: skip

#: Canonical SPDX id -> category.
SPDX_LICENCES: MappingProxyType[str, LicenceCategory] = MappingProxyType(
    {spdx_id: category for category, ids in _BY_CATEGORY.items() for spdx_id in ids}
)

# Deprecated SPDX short forms people still type, mapped to what to write instead.
_DEPRECATED: dict[str, str] = {
    "GPL-2.0": "GPL-2.0-only", "GPL-2.0+": "GPL-2.0-or-later", "GPL-3.0": "GPL-3.0-only",
    "GPL-3.0+": "GPL-3.0-or-later", "LGPL-2.1": "LGPL-2.1-only", "LGPL-2.1+": "LGPL-2.1-or-later",
    "LGPL-3.0": "LGPL-3.0-only", "LGPL-3.0+": "LGPL-3.0-or-later", "AGPL-3.0": "AGPL-3.0-only",
    "GPL-1.0": "GPL-1.0-only", "LGPL-2.0": "LGPL-2.0-only", "GFDL-1.3": "GFDL-1.3-only",
}  # fmt: skip

_BY_FOLDED = {spdx_id.casefold(): spdx_id for spdx_id in SPDX_LICENCES}
_COPYLEFT = frozenset(
    {LicenceCategory.WEAK_COPYLEFT, LicenceCategory.STRONG_COPYLEFT, LicenceCategory.NETWORK_COPYLEFT}
)


def licence_category(spdx_id: str) -> LicenceCategory | None:
    """The category of a canonical SPDX id, or None when we do not know the id."""
    return SPDX_LICENCES.get(spdx_id)


def is_copyleft(spdx_id: str) -> bool:
    """Whether using the licence can oblige the user to publish its own code (weak, strong or network)."""
    return licence_category(spdx_id) in _COPYLEFT


def unknown_licence_message(spdx_id: str) -> str:
    """Why ``spdx_id`` is refused, with the id to use instead when we can guess it."""
    suggestion = _DEPRECATED.get(spdx_id) or _BY_FOLDED.get(spdx_id.casefold())
    if suggestion is not None:
        return f"{spdx_id!r} is not a current SPDX licence id; use {suggestion!r}"
    return f"{spdx_id!r} is not a known SPDX licence id"


#: SPDX licence exceptions accepted after ``WITH``; an exception only narrows its licence, so the
#: policy judges the licence it qualifies.
SPDX_EXCEPTIONS: tuple[str, ...] = (
    "Autoconf-exception-3.0", "Bison-exception-2.2", "Classpath-exception-2.0", "Font-exception-2.0",
    "GCC-exception-3.1", "LLVM-exception", "Linux-syscall-note", "OpenJDK-assembly-exception-1.0",
    "Qt-LGPL-exception-1.1", "openvpn-openssl-exception", "u-boot-exception-2.0",
)  # fmt: skip

_LICENSING = Licensing(
    [LicenseSymbol(spdx_id) for spdx_id in SPDX_LICENCES]
    + [LicenseSymbol(spdx_id, is_exception=True) for spdx_id in SPDX_EXCEPTIONS]
)


@dataclass(frozen=True, slots=True)
class LicenceTerm:
    """A parsed SPDX expression: one licence (``op`` "id"), or any/all of several terms."""

    op: Literal["id", "or", "and"]
    licence: str = ""  # for "id": the canonical SPDX id (of the licence an exception qualifies)
    terms: tuple[LicenceTerm, ...] = ()

    def licences(self) -> tuple[str, ...]:
        """Every licence id the expression names, in order."""
        return (self.licence,) if self.op == "id" else tuple(i for t in self.terms for i in t.licences())


def _term(node: object) -> LicenceTerm:
    if isinstance(node, LicenseWithExceptionSymbol):
        return LicenceTerm("id", node.license_symbol.key)
    if isinstance(node, LicenseSymbol):
        return LicenceTerm("id", node.key)
    op: Literal["or", "and"] = "or" if isinstance(node, OR) else "and"
    assert isinstance(node, OR | AND)
    return LicenceTerm(op, terms=tuple(_term(arg) for arg in node.args))


def _spelled_as_given(spdx_id: str, expression: str) -> bool:
    return re.search(rf"(?<![\w.+-]){re.escape(spdx_id)}(?![\w.+-])", expression) is not None


def parse_licence_expression(expression: str) -> LicenceTerm | str:
    """The parsed expression, or why it is refused (unknown or misspelt ids get a suggestion)."""
    if not expression.strip():
        return "must be an SPDX licence expression, e.g. 'MIT' or 'MIT OR Apache-2.0'"
    try:
        unknown = _LICENSING.unknown_license_keys(expression)
        if unknown:
            return "; ".join(unknown_licence_message(key) for key in unknown)
        parsed = _LICENSING.parse(expression, validate=True, strict=True)
    except ExpressionError as exc:
        return f"{expression!r} is not a valid SPDX licence expression ({exc})"
    if parsed is None:
        return "must be an SPDX licence expression, e.g. 'MIT' or 'MIT OR Apache-2.0'"
    term = _term(parsed)
    # The library matches ids case-insensitively; the register and the contract print them as
    # written, so the canonical spelling is required.
    for spdx_id in term.licences():
        if not _spelled_as_given(spdx_id, expression):
            return unknown_licence_message(_as_given(spdx_id, expression))
    return term


def _as_given(spdx_id: str, expression: str) -> str:
    found = re.search(rf"(?<![\w.+-]){re.escape(spdx_id)}(?![\w.+-])", expression, re.IGNORECASE)
    return found.group(0) if found else spdx_id
