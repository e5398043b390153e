"""Deliveries against the open-source policy: checksums, URIs, SPDX ids, approvals, advisories."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from msgspec.structs import replace

from workflows import (
    ComponentInput,
    DeliveryInput,
    OpenSourcePolicy,
    RuleViolation,
    check_delivery,
)

SHA256 = "sha256:" + "0123456789abcdef" * 4
SHA512 = "sha512:" + "0123456789abcdef" * 8
PERMISSIVE = OpenSourcePolicy(
    allowed_licences=("MIT", "Apache-2.0", "BSD-3-Clause"), copyleft_requires_approval=False
)
WITH_APPROVAL = replace(PERMISSIVE, copyleft_requires_approval=True)


def component(name: str = "fastapi", version: str = "0.115.0", licence: str = "MIT") -> ComponentInput:
    return ComponentInput(name=name, version=version, licence=licence)


def delivery(*components: ComponentInput, **changes: Any) -> DeliveryInput:
    base = DeliveryInput(
        artifact_uri="https://artifacts.example.lt/fjordpay/m1/build-42.tar.gz",
        checksum=SHA256,
        notes="Release candidate 1",
        components=components or (component(), component("requests", "2.32.3", "Apache-2.0")),
    )
    return replace(base, **changes)


def refused(data: DeliveryInput, policy: OpenSourcePolicy = PERMISSIVE) -> RuleViolation:
    with pytest.raises(RuleViolation) as raised:
        check_delivery(data, policy)
    return raised.value


def test_a_delivery_within_the_policy_passes_without_advisories() -> None:
    check = check_delivery(delivery(), PERMISSIVE)
    assert check.advisories == []
    assert check.needs_approval == ()


def test_a_delivery_decodes_strictly_from_json() -> None:
    body = b'{"artifact_uri": "s3://bucket/key.zip", "checksum": "%s", "components": []}' % SHA256.encode()
    assert msgspec.json.decode(body, type=DeliveryInput).notes is None
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.json.decode(body[:-1] + b', "licence": "MIT"}', type=DeliveryInput)


def test_licence_outside_the_policy_is_refused_naming_the_component() -> None:
    data = delivery(component(), component("left-pad", "1.3.0", "Unlicense"))
    errors = refused(data).errors
    assert [e.field for e in errors] == ["components.1.licence"]
    assert "left-pad 1.3.0" in errors[0].message
    assert "Unlicense" in errors[0].message
    assert "MIT, Apache-2.0, BSD-3-Clause" in errors[0].message


@pytest.mark.parametrize("licence", ["GPL-3.0-only", "LGPL-2.1-or-later", "AGPL-3.0-only", "MPL-2.0"])
def test_copyleft_is_refused_when_the_policy_does_not_allow_it_with_approval(licence: str) -> None:
    errors = refused(delivery(component("readline", "8.2", licence))).errors
    assert [e.field for e in errors] == ["components.0.licence"]
    assert "readline 8.2" in errors[0].message


def test_copyleft_with_an_approval_policy_passes_with_an_advisory() -> None:
    data = delivery(
        component(), component("readline", "8.2", "GPL-3.0-only"), component("libgit2", "1.8", "GPL-2.0-only")
    )
    check = check_delivery(data, WITH_APPROVAL)
    assert check.needs_approval == ("readline", "libgit2")
    assert [(a.code, a.field) for a in check.advisories] == [
        ("licence_needs_approval", "components.1.licence"),
        ("licence_needs_approval", "components.2.licence"),
    ]
    assert "readline 8.2" in check.advisories[0].message
    assert "GPL-3.0-only" in check.advisories[0].message
    assert "written approval" in check.advisories[0].message
    msgspec.json.encode(check)


def test_listed_copyleft_still_needs_approval_when_the_policy_says_so() -> None:
    policy = OpenSourcePolicy(allowed_licences=("MIT", "LGPL-3.0-only"), copyleft_requires_approval=True)
    check = check_delivery(delivery(component("glib", "2.80", "LGPL-3.0-only")), policy)
    assert check.needs_approval == ("glib",)
    assert "not on the allowed list" not in check.advisories[0].message


def test_listed_copyleft_passes_silently_without_the_approval_rule() -> None:
    policy = OpenSourcePolicy(allowed_licences=("MIT", "LGPL-3.0-only"), copyleft_requires_approval=False)
    check = check_delivery(delivery(component("glib", "2.80", "LGPL-3.0-only")), policy)
    assert (check.advisories, check.needs_approval) == ([], ())


def test_restricted_licence_is_refused_even_with_an_approval_policy() -> None:
    errors = refused(delivery(component("elastic", "8.0", "Elastic-2.0")), WITH_APPROVAL).errors
    assert [e.field for e in errors] == ["components.0.licence"]


def test_a_component_listed_twice_needs_approval_once() -> None:
    gpl = component("readline", "8.2", "GPL-3.0-only")
    check = check_delivery(delivery(gpl, replace(gpl, version="8.3")), WITH_APPROVAL)
    assert check.needs_approval == ("readline",)
    assert len(check.advisories) == 2


@pytest.mark.parametrize(
    ("licence", "hint"),
    [
        ("GPL-3.0", "use 'GPL-3.0-only'"),
        ("mit", "use 'MIT'"),
        ("Proprietary-1.0", "not a known SPDX licence id"),
    ],
)
def test_unknown_spdx_id_is_refused_with_a_suggestion(licence: str, hint: str) -> None:
    errors = refused(delivery(component(licence=licence)), WITH_APPROVAL).errors
    assert [e.field for e in errors] == ["components.0.licence"]
    assert hint in errors[0].message


@pytest.mark.parametrize("checksum", [SHA256, SHA512])
def test_good_checksums_pass(checksum: str) -> None:
    check_delivery(delivery(checksum=checksum), PERMISSIVE)


@pytest.mark.parametrize(
    ("checksum", "hint"),
    [
        ("", "must be 'sha256:'"),
        ("0123456789abcdef" * 4, "must be 'sha256:'"),
        ("md5:" + "0" * 32, "must be 'sha256:'"),
        ("sha256:" + "0" * 63, "64 hex digits, not 63"),
        ("sha512:" + "0" * 64, "128 hex digits, not 64"),
        ("sha256:" + "AB" * 32, "lowercase"),
        ("sha256:" + "g" * 64, "must be 'sha256:'"),
        ("SHA256:" + "0" * 64, "must be 'sha256:'"),
        (SHA256 + " ", "must be 'sha256:'"),
    ],
)
def test_bad_checksums_are_refused(checksum: str, hint: str) -> None:
    errors = refused(delivery(checksum=checksum)).errors
    assert [e.field for e in errors] == ["checksum"]
    assert hint in errors[0].message


@pytest.mark.parametrize(
    "uri",
    [
        "https://artifacts.example.lt/a.tar.gz",
        "https://10.0.0.5:8443/build/1.zip",
        "s3://fjordpay-builds/m1/build-42.tar.gz",
        "git+https://git.example.no/fjordpay.git",
        "git+ssh://git@github.com/fjordpay/app.git#v1.0.0",
        "oci://registry.example.lt/fjordpay/api:1.0.0",
    ],
)
def test_absolute_uris_pass(uri: str) -> None:
    check_delivery(delivery(artifact_uri=uri), PERMISSIVE)


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "   ",
        "build-42.tar.gz",
        "/srv/artifacts/build-42.tar.gz",
        "//artifacts.example.lt/a.tar.gz",
        "https://",
        "https:///path-only",
        "file:relative/path",
        "javascript:alert(1)",
        "ftp://example.com/a.zip",
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "http://artifacts.example.lt/a.tar.gz",
        "git://git.example.no/fjordpay.git",
        "data:text/plain,hello",
        "https://user:secret@artifacts.example.lt/a.tar.gz",
        "https://example.com/a b.zip",
        "https://[::1/a.zip",
        "https://example.com/" + "a" * 2100,
    ],
)
def test_blank_relative_and_unsupported_uris_are_refused(uri: str) -> None:
    assert [e.field for e in refused(delivery(artifact_uri=uri)).errors] == ["artifact_uri"]


def test_all_errors_are_collected_in_order() -> None:
    data = delivery(
        component(name=" "),
        component("x", "", "GPL-3.0+"),
        component("left-pad", "1.3.0", "Unlicense"),
        component("Left-Pad", "1.3.0", "MIT"),
        artifact_uri="relative",
        checksum="sha256:abc",
        notes="bell\x07",
    )
    errors = refused(data).errors
    assert [e.field for e in errors] == [
        "checksum",
        "artifact_uri",
        "components.0.name",
        "components.1.version",
        "components.1.licence",
        "components.2.licence",
        "components.3.name",
        "notes",
    ]
    assert errors[6].message == "duplicates components.2"
    assert "U+0007" in errors[7].message


def test_component_names_and_versions_must_not_be_blank() -> None:
    errors = refused(delivery(component(name="", version="  "))).errors
    assert [(e.field, e.message) for e in errors] == [
        ("components.0.name", "must not be empty"),
        ("components.0.version", "must not be empty"),
    ]


def test_a_delivery_may_list_no_components() -> None:
    assert check_delivery(replace(delivery(), components=()), PERMISSIVE).needs_approval == ()


@pytest.mark.parametrize(
    "licence",
    [
        "MIT OR Apache-2.0",
        "MIT AND BSD-3-Clause",
        "(MIT AND Apache-2.0) OR BSD-3-Clause",
        "GPL-3.0-only OR MIT",
    ],
)
def test_expressions_pass_a_permissive_policy_when_a_permissive_choice_exists(licence: str) -> None:
    check = check_delivery(delivery(component(licence=licence)), PERMISSIVE)
    assert (check.advisories, check.needs_approval) == ([], ())


@pytest.mark.parametrize(
    ("licence", "hint"),
    [
        ("MIT AND GPL-3.0-only", "which the open-source policy does not allow"),
        ("Elastic-2.0 OR BUSL-1.1", "which the open-source policy does not allow"),
        ("MIT OR", "is not a valid SPDX licence expression"),
        ("MIT WITH Apache-2.0", "is not a valid SPDX licence expression"),
        ("MIT OR GPL-3.0", "use 'GPL-3.0-only'"),
        ("mit OR Apache-2.0", "use 'MIT'"),
    ],
)
def test_expressions_are_judged_per_licence(licence: str, hint: str) -> None:
    errors = refused(delivery(component(licence=licence)), PERMISSIVE).errors
    assert [e.field for e in errors] == ["components.0.licence"]
    assert hint in errors[0].message


def test_an_and_with_copyleft_needs_approval_and_says_which_licence() -> None:
    check = check_delivery(delivery(component("qt", "6.7", "MIT AND LGPL-3.0-only")), WITH_APPROVAL)
    assert check.needs_approval == ("qt",)
    assert "includes copyleft (LGPL-3.0-only)" in check.advisories[0].message


def test_an_exception_is_judged_by_the_licence_it_qualifies() -> None:
    check = check_delivery(
        delivery(component("openjdk", "21", "GPL-2.0-only WITH Classpath-exception-2.0")), WITH_APPROVAL
    )
    assert check.needs_approval == ("openjdk",)
