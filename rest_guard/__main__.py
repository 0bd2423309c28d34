"""`python -m rest_guard`: the HTTP authorization service Envoy's ext_authz filter calls."""

from __future__ import annotations

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from orderflow.inventory.v1 import inventory_service_pb2
from orderflow.metrics.v1 import metrics_service_pb2
from orderflow.order.v1 import order_service_pb2
from prometheus_client import Counter

from orderflow_platform.metrics import serve_metrics
from rest_guard.routes import check, routes_of

ROUTES = routes_of(
    [
        order_service_pb2.DESCRIPTOR.services_by_name["OrderService"],
        inventory_service_pb2.DESCRIPTOR.services_by_name["InventoryService"],
        metrics_service_pb2.DESCRIPTOR.services_by_name["MetricsService"],
    ]
)
CHECKS = Counter("orderflow_rest_guard_checks_total", "REST bodies checked for Envoy", ["verdict"])


class Guard(BaseHTTPRequestHandler):
    """Envoy forwards the original method, path and body; 200 lets it through."""

    # HTTP/1.1 keeps each connection open for Envoy's pool to reuse. Under HTTP/1.0 every
    # check was a new TCP connection, and a burst of them overflowed the listen backlog:
    # Envoy saw connect timeouts and answered REST callers 503.
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        problem = check(ROUTES, self.command, self.path, body)
        CHECKS.labels("allowed" if problem is None else "refused").inc()
        if problem is None:
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        # Plain text: Envoy's local reply mapping wraps it into the google.rpc.Status JSON
        # body (code 3, INVALID_ARGUMENT) that every REST error carries.
        reply = problem.encode()
        self.send_response(400)
        self.send_header("content-type", "text/plain; charset=utf-8")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Envoy's access log already records every request."""


class GuardServer(ThreadingHTTPServer):
    # socketserver's default backlog is 5; Envoy may open up to its circuit breaker's
    # max_connections to the guard at once (envoy/envoy.yaml), so room for all of them.
    request_queue_size = 1024


def main() -> None:
    address = os.environ.get("REST_GUARD_ADDRESS", "127.0.0.1:50060")
    host, port = address.rsplit(":", 1)
    serve_metrics(int(os.environ.get("ORDERFLOW_METRICS__PORT", "0")))
    GuardServer((host, int(port)), Guard).serve_forever()


if __name__ == "__main__":
    main()
