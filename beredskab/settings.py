"""Runtime configuration, read from the environment and `.env` (see the table in README.md)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _project_root() -> Path:
    """The checkout (alembic.ini, migrations/, playbooks/ beside the packages); when installed as
    a wheel (the container image), the working directory, which holds those files there."""
    source = Path(__file__).resolve().parent.parent
    return source if (source / "alembic.ini").exists() else Path.cwd()


PROJECT_ROOT = _project_root()
DEFAULT_PLAYBOOK = PROJECT_ROOT / "playbooks" / "ddh-beredskab.yaml"


class SmsGatewayKind(StrEnum):
    console = "console"
    twilio = "twilio"
    fake = "fake"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = "sqlite+aiosqlite:///./beredskab.db"
    public_base_url: str = "http://127.0.0.1:8000"
    sms_gateway: SmsGatewayKind = SmsGatewayKind.console
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_from: str = ""
    twilio_voice_from: str = ""  # the caller number for phone calls (default: TWILIO_FROM)
    twilio_api_base_url: str = ""
    sms_rate_per_second: float = Field(default=10.0, gt=0, le=1000)
    playbook: Path = DEFAULT_PLAYBOOK
    timezone: str = "Europe/Copenhagen"
    run_worker_in_process: bool = True
    scheduler_tick_seconds: float = Field(default=1.0, gt=0, le=60)
    dev_mode: bool = False
    outbox_lease_seconds: float = Field(default=30.0, gt=0, le=3600)
    inbound_concurrency: int = Field(default=2, ge=1, le=64)
    # a request body over this is refused with 413 before it is parsed (api/limits.py)
    max_request_bytes: int = Field(default=262_144, ge=1024, le=100_000_000)
    log_level: str = "INFO"
    # e-invoices (#17): DDH as seller, as finance sets it (name, CVR, EAN: DDH's directory row).
    # No VAT category is assumed: invoicing is refused until INVOICE_VAT_CATEGORY is set.
    invoice_street: str = ""
    invoice_city: str = ""
    invoice_postal_zone: str = ""
    invoice_bank_reg: str = Field(default="", pattern=r"^(\d{4})?$")
    invoice_bank_account: str = Field(default="", pattern=r"^(\d{1,10})?$")
    invoice_payment_days: int = Field(default=30, ge=0, le=365)
    invoice_vat_category: str = ""
    invoice_vat_exemption_reason: str = ""
    # the folder the access point picks documents up from (the FileDrop adapter)
    invoice_drop_dir: Path = Path("invoices-out")

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                f"(got {value.split('://', 1)[0]!r})"
            )
        return value

    @field_validator("invoice_vat_category")
    @classmethod
    def _vat_category(cls, value: str) -> str:
        if value not in ("", "E", "O"):
            raise ValueError("must be E (exempt from VAT) or O (not subject to VAT)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("public_base_url", "twilio_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _twilio_complete(self) -> Settings:
        if self.sms_gateway is SmsGatewayKind.twilio:
            missing = [
                name
                for name in ("twilio_account_sid", "twilio_auth_token")
                if not getattr(self, name)
            ]
            if not (self.twilio_messaging_service_sid or self.twilio_from):
                missing.append("twilio_messaging_service_sid or twilio_from")
            if missing:
                raise ValueError(
                    "SMS_GATEWAY=twilio needs " + ", ".join(m.upper() for m in missing)
                )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def outbox_lease(self) -> timedelta:
        return timedelta(seconds=self.outbox_lease_seconds)


class ConfigurationError(SystemExit):
    """Start-up stops with one line per bad variable."""


def describe_validation_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]).upper() or "SETTINGS"
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"configuration error: {name}: {msg}")
    return "\n".join(lines)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigurationError(describe_validation_error(exc)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
