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


class Settings(BaseSettings):
    # A service's own sections (notify's, the aggregator's) are in the same profile file;
    # the core settings leave them to the service's subclass.
    model_config = SettingsConfigDict(env_prefix="ORDERFLOW_", env_nested_delimiter="__", extra="ignore")

    profile: Profile = "dev"
    kafka: KafkaSettings = KafkaSettings()
    registry: RegistrySettings = RegistrySettings()
    postgres: PostgresSettings = PostgresSettings()
    logging: LoggingSettings = LoggingSettings()
    metrics: MetricsSettings = MetricsSettings()

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


def load_settings() -> Settings:
    """The profile's core settings; a service with sections of its own loads its subclass."""
    return Settings()
