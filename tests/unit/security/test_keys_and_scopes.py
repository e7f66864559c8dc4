from __future__ import annotations

import pytest
from litestar.exceptions import ImproperlyConfiguredException

from copilot_api.security.keys import (
    KEY_PATTERN,
    PREFIX_PATTERN,
    check_name,
    digest_key,
    generate_key,
    matches,
    prefix_of,
)
from copilot_api.security.scopes import (
    Scope,
    grants,
    is_protected_path,
    parse_scopes,
    required_scope,
)


def test_generated_keys_are_unique_well_formed_and_verifiable() -> None:
    keys = [generate_key() for _ in range(200)]
    assert len({key.secret for key in keys}) == 200
    for key in keys:
        assert KEY_PATTERN.fullmatch(key.secret)
        assert PREFIX_PATTERN.fullmatch(key.prefix)
        assert prefix_of(key.secret) == key.prefix
        assert len(key.digest) == 32
        assert matches(key.secret, key.digest)
        assert key.secret not in repr(key)


def test_a_key_matches_only_its_own_digest() -> None:
    first, second = generate_key(), generate_key()
    assert not matches(first.secret, second.digest)
    tampered = first.secret[:-1] + ("A" if first.secret[-1] != "A" else "B")
    assert not matches(tampered, first.digest)
    assert digest_key(first.secret) == first.digest


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "cpk_",
        "Bearer cpk_0123456789_" + "a" * 43,
        "cpk_0123456789_" + "a" * 42,  # one character short
        "cpk_0123456789_" + "a" * 44,
        "cpk_012345678Z_" + "a" * 43,  # prefix is lower-case hex
        "cpk_0123456789_" + "a" * 42 + "!",
        "cpk_0123456789_" + "a" * 43 + "\n",  # `$` would have accepted this
        "' OR 1=1 --",
    ],
)
def test_malformed_keys_have_no_prefix(presented: str) -> None:
    assert prefix_of(presented) is None


@pytest.mark.parametrize("name", ["crm-prod", "Agent app 2", "svc:search/eu@acme.com", "a"])
def test_valid_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", " lead", "x" * 101, "bad\nline", "tab\tname", "ünï"])
def test_invalid_names_are_refused_with_the_rule(name: str) -> None:
    with pytest.raises(ValueError, match="1-100 characters"):
        check_name(name)


def test_scopes_parse_from_text_in_canonical_order() -> None:
    assert parse_scopes("workflows, search,search") == (Scope.SEARCH, Scope.WORKFLOWS)
    assert parse_scopes(["admin"]) == (Scope.ADMIN,)
    with pytest.raises(ValueError, match="unknown scope everything"):
        parse_scopes("search,everything")
    with pytest.raises(ValueError, match="at least one"):
        parse_scopes(" , ")


def test_admin_grants_everything_other_scopes_only_themselves() -> None:
    assert grants((Scope.ADMIN,), Scope.SEARCH)
    assert grants((Scope.ADMIN,), Scope.WORKFLOWS)
    assert grants((Scope.SEARCH,), Scope.SEARCH)
    assert not grants((Scope.SEARCH,), Scope.WORKFLOWS)
    assert not grants((Scope.SEARCH, Scope.WORKFLOWS), Scope.ADMIN)


def test_an_undeclared_scope_means_admin_and_an_unknown_one_fails() -> None:
    assert required_scope({}, where="h") is Scope.ADMIN
    assert required_scope({"scope": "search"}, where="h") is Scope.SEARCH
    with pytest.raises(ImproperlyConfiguredException, match="opt\\['scope'\\]='serach'"):
        required_scope({"scope": "serach"}, where="h")


@pytest.mark.parametrize(
    ("path", "protected"),
    [
        ("/api", True),
        ("/api/", True),
        ("/api/listings/search", True),
        ("/apix", False),
        ("/health", False),
        ("/docs/openapi.json", False),
        ("/metrics", False),
    ],
)
def test_protected_paths(path: str, protected: bool) -> None:
    assert is_protected_path(path) is protected
