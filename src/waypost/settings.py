"""Every setting Waypost reads, in one validated model.

Sources, strongest first: values passed in (CLI flags), ``WAYPOST_*`` environment variables,
a TOML file (``--config`` / ``WAYPOST_CONFIG``, else ``<data_dir>/waypost.toml`` when present),
then the defaults below. Settings are read once at the edge and passed down as a value.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "WAYPOST_"
CONFIG_FILE_NAME = "waypost.toml"
SECRET_FILE_NAME = "secret.key"


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it and says why."""


class Settings(BaseSettings):
    """Waypost's configuration. Each field is also the ``WAYPOST_<NAME>`` environment variable."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", validate_default=True, frozen=True
    )

    data_dir: Path = Field(
        Path(".waypost"),
        description="Directory for the embedded stores (SQLite metadata, DuckDB events) and keys.",
    )
    host: str = Field("127.0.0.1", description="Address `waypost serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `waypost serve` listens on.")
    database_url: str | None = Field(
        None,
        description=(
            "Metadata database (SQLAlchemy URL). Default: SQLite file `<data_dir>/metadata.db`. "
            "For PostgreSQL: `postgresql+psycopg://user:password@host:5432/dbname`."
        ),
    )
    events_url: str | None = Field(
        None,
        description="Event store. Default: DuckDB file `<data_dir>/events.duckdb` (`duckdb:///path`).",
    )
    secret: SecretStr | None = Field(
        None,
        description=(
            "Secret used to sign console sessions and tokens. Default: generated once and kept in "
            "`<data_dir>/secret.key`. Set it explicitly when several API replicas run."
        ),
    )
    public_url: str | None = Field(
        None,
        description="URL end users and builders reach this server at (for snippets, emails).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Lowest level of log records written."
    )
    log_format: Literal["auto", "text", "json"] = Field(
        "auto",
        description=(
            "`text`: readable lines for people; `json`: one JSON object per line (for log "
            "shippers); `auto`: text when standard error is a terminal, JSON otherwise."
        ),
    )
    key_grace_seconds: int = Field(
        86_400,
        ge=0,
        description="After a key rotation, how long the previous key keeps working (seconds).",
    )
    session_ttl_seconds: int = Field(
        14 * 86_400, ge=60, description="How long a console login lasts (seconds)."
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed console logins in a row before the account is locked."
    )
    login_lockout_seconds: int = Field(
        900, ge=1, description="How long a locked account stays locked (seconds)."
    )
    cookie_secure: bool | None = Field(
        None,
        description=(
            "Mark console cookies `Secure`. Default: when the request arrived over HTTPS "
            "(behind a proxy, forward `X-Forwarded-Proto`)."
        ),
    )
    default_locale: Literal["en", "ja"] = Field(
        "en", description="Console language when neither the user nor the browser picks one."
    )
    demo: bool = Field(
        True,
        description=(
            "With `waypost serve --bootstrap` (what `make run` does), seed the demo on the first "
            "start: the Acme CRM demo app at `/demo/`, its guidance content and simulated "
            "customers. Set it to false for production installs; `/demo/` is served only where "
            "the demo was seeded."
        ),
    )
    max_waiting_events: int = Field(
        200_000,
        ge=1,
        description=(
            "Events that may wait in memory to be journaled or loaded into the event store; "
            "past it, tracking requests are answered `429` with `Retry-After`."
        ),
    )

    @field_validator("database_url", "events_url")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty; leave it unset for the default")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        return value

    @field_validator("events_url")
    @classmethod
    def _known_event_store(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("duckdb://"):
            raise ValueError("must start with duckdb:// (ClickHouse support is planned)")
        return value

    @model_validator(mode="after")
    def _public_url_shape(self) -> Settings:
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise ValueError("public_url must start with http:// or https://")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("toml_file"):
            sources.append(TomlConfigSettingsSource(settings_cls))
        return tuple(sources)

    # Derived values: computed from the fields, never stored twice.

    @property
    def metadata_url(self) -> str:
        """The metadata database URL, defaulting to SQLite inside the data directory."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'metadata.db').resolve()}"

    @property
    def events_path(self) -> Path:
        """Path of the DuckDB event store file."""
        if self.events_url:
            return Path(self.events_url.removeprefix("duckdb://"))
        return self.data_dir / "events.duckdb"

    @property
    def base_url(self) -> str:
        """Public base URL without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def signing_secret(self) -> str:
        """The signing secret; generated and kept in the data directory when not configured."""
        if self.secret is not None:
            return self.secret.get_secret_value()
        path = self.data_dir / SECRET_FILE_NAME
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


def load_settings(
    overrides: dict[str, Any] | None = None, config_file: Path | None = None
) -> Settings:
    """Read settings from overrides, environment and TOML file; raise SettingsError when invalid."""
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    if config_file is None and os.environ.get(f"{ENV_PREFIX}CONFIG"):
        config_file = Path(os.environ[f"{ENV_PREFIX}CONFIG"])
    if config_file is not None and not config_file.is_file():
        raise SettingsError(f"config file {config_file}: no such file")
    if config_file is None:
        data_dir = Path(
            given.get("data_dir") or os.environ.get(f"{ENV_PREFIX}DATA_DIR", ".waypost")
        )
        candidate = data_dir / CONFIG_FILE_NAME
        config_file = candidate if candidate.is_file() else None
    # pydantic-settings reads the TOML path from the class config: each load gets its own class.
    settings_cls: type[Settings] = Settings
    if config_file is not None:
        config = SettingsConfigDict(**{**Settings.model_config, "toml_file": config_file})
        settings_cls = type("Settings", (Settings,), {"model_config": config})
    try:
        return settings_cls(**given)
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc, config_file)) from None
    except ValueError as exc:  # a malformed TOML file
        raise SettingsError(f"config file {config_file}: {exc}") from None


def describe_validation_error(exc: ValidationError, config_file: Path | None) -> str:
    """Turn pydantic's report into lines that name each setting, its env var and the reason."""
    lines = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "settings"
        reason = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            where = f" in {config_file}" if config_file else ""
            reason = f"unknown setting{where}"
        env = f" (WAYPOST_{name.upper()})" if name in Settings.model_fields else ""
        lines.append(f"invalid setting {name}{env}: {reason}")
    return "\n".join(lines)


def settings_reference() -> str:
    """The configuration reference page (docs/configuration.md), generated from the model."""
    rows = [
        "# Configuration reference",
        "",
        "<!-- Generated from src/waypost/settings.py by `make docs`; do not edit by hand. -->",
        "",
        "Every setting can be given, strongest first, as a command-line flag where the command",
        "has one (`--data-dir`, `--host`, `--port`), as a `WAYPOST_*` environment variable, or in",
        "a TOML file: `--config FILE` / `WAYPOST_CONFIG`, else `<data_dir>/waypost.toml`.",
        "In the TOML file use the setting's name as the key, e.g. `port = 9000`.",
        "Invalid values stop the server at start with a message naming the setting and the reason.",
        "",
        "| Setting | Environment variable | Default | Description |",
        "| --- | --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        default = "(derived)" if field.default is None else f"`{field.default}`"
        rows.append(
            f"| `{name}` | `{ENV_PREFIX}{name.upper()}` | {default} | {field.description} |"
        )
    return "\n".join(rows) + "\n"
