import pytest

from notify_svc.settings import NotifyServiceSettings
from orderflow_platform.settings import load_settings


def test_dev_profile_is_the_default_and_reads_its_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORDERFLOW_PROFILE", raising=False)
    settings = load_settings()
    assert settings.profile == "dev"
    assert settings.logging.format == "console"
    assert settings.kafka.bootstrap_servers == "localhost:9092"


def test_prod_profile_file_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERFLOW_PROFILE", "prod")
    settings = load_settings()
    assert settings.profile == "prod"
    assert settings.logging.format == "json"
    assert settings.kafka.replication_factor == 3
    assert settings.registry.auto_register_schemas is False


def test_environment_overrides_the_profile_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERFLOW_PROFILE", "prod")
    monkeypatch.setenv("ORDERFLOW_KAFKA__BOOTSTRAP_SERVERS", "broker-1:9092")
    monkeypatch.setenv("ORDERFLOW_LOGGING__FORMAT", "console")
    settings = load_settings()
    assert settings.kafka.bootstrap_servers == "broker-1:9092"
    assert settings.logging.format == "console"
    assert settings.kafka.replication_factor == 3


def test_a_service_reads_its_own_section_which_the_core_settings_leave(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDERFLOW_PROFILE", "prod")
    monkeypatch.setenv("ORDERFLOW_NOTIFY__SMTP__HOST", "smtp.shop.test")
    notify = NotifyServiceSettings().notify
    assert notify.sinks == ["email"]
    assert (notify.smtp.host, notify.smtp.port, notify.smtp.start_tls) == ("smtp.shop.test", 587, True)
    assert not hasattr(load_settings(), "notify")
