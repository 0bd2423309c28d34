"""Settings: a profile file (config/<profile>.yaml) under environment overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
Profile = Literal["dev", "prod"]


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "localhost:9092"
    replication_factor: int = 1
    # Bounds every blocking Kafka call, so a broker that is down gives an error, not a hang.
    request_timeout_ms: int = 10_000


class RegistrySettings(BaseModel):
    url: str = "http://localhost:8081/apis/ccompat/v7"
    auto_register_schemas: bool = True
    # Old events are replayed forever: new schemas must read every past version.
    compatibility: str = "BACKWARD_TRANSITIVE"


class PostgresSettings(BaseModel):
    dsn: str = "postgresql://orderflow:orderflow@localhost:5432/orderflow"


class LoggingSettings(BaseModel):
    format: Literal["console", "json"] = "console"
    level: str = "INFO"


class MetricsSettings(BaseModel):
    # Each process gets its own port from the stack (0: no /metrics endpoint).
    port: int = 0


class SmtpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 2525
    # Implicit TLS (SMTPS, usually 465) or STARTTLS upgrade (usually 587); neither on loopback.
    use_tls: bool = False
    start_tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 10.0


class NotifySettings(BaseModel):
    sinks: list[Literal["console", "email"]] = ["console"]
    sender: str = "orderflow <orders@orderflow.test>"
    # The user directory: user ids that are not addresses get this domain.
    recipient_domain: str = "users.orderflow.test"
    max_attempts: int = 8
    retry_base_seconds: float = 0.5
    retry_cap_seconds: float = 30.0
    smtp: SmtpSettings = SmtpSettings()


class AggregatorSettings(BaseModel):
    # How long after a window's minute ends its final value waits for orders still on the way.
    allowed_lateness_seconds: float = 10.0
    # A filling window is published at most this often.
    publish_interval_seconds: float = 1.0


class ConnectSettings(BaseModel):
    # The Kafka Connect worker's REST API (the audit sink's).
    url: str = "http://127.0.0.1:8083"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERFLOW_", env_nested_delimiter="__")

    profile: Profile = "dev"
    kafka: KafkaSettings = KafkaSettings()
    registry: RegistrySettings = RegistrySettings()
    postgres: PostgresSettings = PostgresSettings()
    logging: LoggingSettings = LoggingSettings()
    metrics: MetricsSettings = MetricsSettings()
    notify: NotifySettings = NotifySettings()
    aggregator: AggregatorSettings = AggregatorSettings()
    connect: ConnectSettings = ConnectSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        profile = os.environ.get("ORDERFLOW_PROFILE", "dev")
        profile_file = YamlConfigSettingsSource(settings_cls, yaml_file=CONFIG_DIR / f"{profile}.yaml")
        return init_settings, env_settings, profile_file


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
