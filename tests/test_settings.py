"""Settings: sources in the right order, clear messages naming the setting, docs kept in step."""

from __future__ import annotations

from pathlib import Path

import pytest

from waypost.settings import SettingsError, load_settings, settings_reference

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("WAYPOST_PORT", "WAYPOST_HOST", "WAYPOST_DATA_DIR", "WAYPOST_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_put_both_stores_in_the_data_directory(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": tmp_path / "d"})
    assert settings.metadata_url == f"sqlite:///{(tmp_path / 'd' / 'metadata.db').resolve()}"
    assert settings.events_path == tmp_path / "d" / "events.duckdb"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_environment_overrides_toml_and_flags_override_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "waypost.toml"
    config.write_text('port = 9001\nhost = "0.0.0.0"\nlog_format = "text"\n')
    monkeypatch.setenv("WAYPOST_PORT", "9002")
    from_env = load_settings({}, config)
    assert (from_env.port, from_env.host, from_env.log_format) == (9002, "0.0.0.0", "text")
    assert load_settings({"port": 9003}, config).port == 9003


def test_toml_in_the_data_directory_is_read_without_being_named(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "waypost.toml").write_text("port = 9100\n")
    assert load_settings({"data_dir": tmp_path / "d"}).port == 9100


def test_invalid_port_names_the_setting_its_variable_and_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WAYPOST_PORT", "70000")
    with pytest.raises(SettingsError) as caught:
        load_settings({})
    assert "port (WAYPOST_PORT)" in str(caught.value)
    assert "less than or equal to 65535" in str(caught.value)


def test_unknown_key_in_the_config_file_is_reported_with_the_file(tmp_path: Path) -> None:
    config = tmp_path / "w.toml"
    config.write_text("prot = 1\n")
    with pytest.raises(SettingsError, match=r"invalid setting prot: unknown setting in .*w\.toml"):
        load_settings({}, config)


def test_missing_config_file_is_an_error_not_silently_ignored(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no such file"):
        load_settings({}, tmp_path / "absent.toml")


def test_unsupported_database_url_is_rejected_with_the_expected_schemes() -> None:
    with pytest.raises(SettingsError, match=r"database_url \(WAYPOST_DATABASE_URL\): must start"):
        load_settings({"database_url": "mysql://x"})


def test_signing_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": tmp_path / "d"})
    first = settings.signing_secret()
    assert len(first) >= 40
    assert load_settings({"data_dir": tmp_path / "d"}).signing_secret() == first
    assert (tmp_path / "d" / "secret.key").stat().st_mode & 0o077 == 0


def test_configuration_doc_is_generated_from_the_settings_model() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text()
    assert page == settings_reference(), "run `make docs` to regenerate docs/configuration.md"
