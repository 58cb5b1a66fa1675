"""Settings read from the environment (prefix ``GRANTS_``), with safe defaults."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105 - refused in production


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as ``GRANTS_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="GRANTS_", env_file=None, extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///./grants.db"
    secret_key: str = DEFAULT_SECRET_KEY
    today: dt.date | None = Field(
        default=None, description="Fixes the date the app treats as today (demos, tests)."
    )
    data_dir: Path = Path("./var")
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    concurrent_requests: int = Field(
        default=12, ge=1, le=1000, description="Reads one process works on at once."
    )
    concurrent_writes: int = Field(
        default=4, ge=1, le=1000, description="Writes one process works on at once."
    )
    queue_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long a request waits for its turn or a database connection (503).",
    )
    render_processes: int = Field(
        default=1,
        ge=0,
        le=64,
        description="Helper processes that write big workbooks and PDFs (0: the request's own).",
    )
    db_pool_size: int | None = Field(
        default=None, ge=1, description="Database connections kept per process."
    )
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost: int = Field(default=65_536, ge=1024)
    default_locale: str = "en"
    due_soon_days: int = Field(
        default=30, ge=1, le=365, description="How many days ahead a milestone is due soon."
    )
    session_idle_minutes: int = Field(default=30, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    cookie_secure: bool | None = Field(
        default=None, description="Secure cookies; by default when the request came over HTTPS."
    )
    login_window_minutes: int = Field(default=15, ge=1)
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_account_total: int = Field(default=50, ge=1)
    login_max_failures_per_client: int = Field(default=30, ge=1)
    api_docs: bool | None = Field(
        default=None, description="Serve /api/docs; by default everywhere but production."
    )
    import_max_mb: int = Field(default=20, ge=1, description="Largest import file accepted.")
    iati_reporting_org_ref: str = Field(
        default="", description="The IATI organisation identifier of the publisher."
    )
    iati_reporting_org_type: str = Field(default="40", description="IATI OrganisationType code.")
    iati_reporting_org_name: str = Field(default="", description="The publisher's name.")
    iati_default_sector: str = Field(
        default="15190",
        pattern=r"^\d{5}$",
        description="DAC 5-digit sector of projects without one.",
    )
    giving360_prefix: str = Field(
        default="", description="The publisher's 360Giving identifier prefix (360G-...)."
    )

    @field_validator("database_url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql+psycopg:// URL")
        return value

    @property
    def docs_enabled(self) -> bool:
        """Whether the interactive API docs are served."""
        return self.api_docs if self.api_docs is not None else self.environment != "production"

    @property
    def pool_size(self) -> int:
        """Connections kept per process: one for every request at work, unless set."""
        return self.db_pool_size or self.concurrent_requests + self.concurrent_writes

    def check_production(self) -> None:
        """Raise ``RuntimeError`` when production runs with a default or weak secret key."""
        if self.environment != "production":
            return
        if self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32:
            raise RuntimeError(
                "GRANTS_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production"
            )


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()


def today(settings: Settings | None = None) -> dt.date:
    """Return the date the application treats as today (``GRANTS_TODAY`` or the UTC date)."""
    settings = settings or get_settings()
    return settings.today or dt.datetime.now(dt.UTC).date()
