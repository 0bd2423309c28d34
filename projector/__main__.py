"""`python -m projector`: keeps the read models current until SIGTERM."""

from __future__ import annotations

from orderflow_platform.logs import configure_logging, get_logger
from orderflow_platform.metrics import serve_metrics
from orderflow_platform.settings import load_settings
from orderflow_platform.shutdown import Shutdown
from projector import bootstrap


def main() -> None:
    settings = load_settings()
    configure_logging(settings.logging, service="projector")
    shutdown = Shutdown().install()
    loop = bootstrap.projection_loop(settings)
    serve_metrics(settings.metrics.port)
    get_logger().info("projecting")
    loop.run(shutdown)
    get_logger().info("stopped")


if __name__ == "__main__":
    main()
