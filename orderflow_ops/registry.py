"""Administration of the schema registry through its Confluent-compatible REST API."""

from __future__ import annotations

import httpx

from orderflow_platform.settings import RegistrySettings

CONTENT_TYPE = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


class RegistryAdmin:
    def __init__(self, settings: RegistrySettings) -> None:
        self._http = httpx.Client(base_url=settings.url, headers=CONTENT_TYPE, timeout=10.0)

    def set_compatibility(self, level: str, subject: str | None = None) -> None:
        """Sets the global level, or one subject's level when a subject is named."""
        path = f"/config/{subject}" if subject else "/config"
        self._http.put(path, json={"compatibility": level}).raise_for_status()

    def compatibility(self, subject: str | None = None) -> str:
        path = f"/config/{subject}" if subject else "/config"
        body = self._http.get(path).raise_for_status().json()
        return str(body.get("compatibilityLevel") or body.get("compatibility"))

    def subjects(self) -> list[str]:
        return list(self._http.get("/subjects").raise_for_status().json())

    def register(self, subject: str, schema: str, schema_type: str = "PROTOBUF") -> httpx.Response:
        """Registers a schema version; the response is returned as is (409 = incompatible)."""
        return self._http.post(
            f"/subjects/{subject}/versions", json={"schema": schema, "schemaType": schema_type}
        )
