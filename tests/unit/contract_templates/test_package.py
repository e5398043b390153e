"""The hand-written zip writer: the bytes ``zipfile`` would write, from cached compressed members."""

from __future__ import annotations

import io
import zipfile

from contract_templates import _docx, render_contract
from contract_templates.samples import sample_contract


def _zipfile_bytes(entries: dict[str, bytes]) -> bytes:
    order = [n for n in _docx._FIRST_ENTRIES if n in entries] + sorted(
        set(entries) - set(_docx._FIRST_ENTRIES)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            target.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()


def test_a_contract_package_is_byte_for_byte_what_zipfile_writes() -> None:
    document = render_contract(sample_contract(milestones=3))
    with zipfile.ZipFile(io.BytesIO(document)) as package:
        assert package.testzip() is None
        entries = {name: package.read(name) for name in package.namelist()}
    assert _zipfile_bytes(entries) == document


def test_members_and_their_order_are_fixed() -> None:
    with zipfile.ZipFile(io.BytesIO(render_contract(sample_contract(milestones=1)))) as package:
        names = package.namelist()
        assert names[:2] == ["[Content_Types].xml", "_rels/.rels"]
        assert names[2:] == sorted(names[2:])
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
