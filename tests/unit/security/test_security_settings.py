from __future__ import annotations

from ipaddress import ip_network

import pytest

from copilot_config import Settings, SettingsError, env_var, load_settings


def test_defaults_are_safe() -> None:
    settings = Settings(_env_file=None)
    assert settings.security.trusted_proxies == ()
    assert settings.security.cors_allow_origins == ()
    assert settings.security.max_request_body_bytes == 1024 * 1024
    assert settings.security.max_query_string_length == 4096


def test_lists_come_comma_separated_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/16, 192.168.1.1 ,fd00::/8")
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "https://app.example.com,http://localhost:3000")
    settings = Settings(_env_file=None)
    assert settings.security.trusted_proxies == (
        ip_network("10.0.0.0/16"),
        ip_network("192.168.1.1/32"),
        ip_network("fd00::/8"),
    )
    assert settings.security.cors_allow_origins == (
        "https://app.example.com",
        "http://localhost:3000",
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TRUSTED_PROXIES", "10.0.0.1/8", "TRUSTED_PROXIES"),  # host bits set
        ("TRUSTED_PROXIES", "everyone", "TRUSTED_PROXIES"),
        ("CORS_ALLOW_ORIGINS", "*", "CORS_ALLOW_ORIGINS: '\\*' is not an origin"),
        ("CORS_ALLOW_ORIGINS", "https://app.example.com/", "is not an origin"),
        ("CORS_ALLOW_ORIGINS", "app.example.com", "is not an origin"),
        ("MAX_REQUEST_BODY_BYTES", "10", "MAX_REQUEST_BODY_BYTES"),
        ("MAX_QUERY_STRING_LENGTH", "0", "MAX_QUERY_STRING_LENGTH"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        load_settings(_env_file=None)


def test_the_contract_documents_list_settings_as_comma_separated() -> None:
    proxies = env_var("TRUSTED_PROXIES")
    assert proxies.type == "comma-separated list"
    assert proxies.default is None  # empty: renders as unset, never as "()"
    assert not proxies.secret
