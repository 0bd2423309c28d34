"""A TCP proxy on loopback that a test can open, and cut, to make a server come and go."""

from __future__ import annotations

import contextlib
import random
import socket
import threading

from devstack.ports import ephemeral_range


def port_outside_the_ephemeral_range() -> int:
    """A free port the kernel never gives a client socket as its source port. Port 0 picks
    one inside that range: while the proxy was cut, any outgoing connection could take it,
    and the proxy could not listen on it again (EADDRINUSE, the Postgres outage test's
    rare failure), just as devstack/ports.py describes for the services' ports."""
    low = ephemeral_range().start
    for port in random.sample(range(low // 2, low), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port below {low}")


class TcpProxy:
    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self.port = port_outside_the_ephemeral_range()
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    def open(self) -> None:
        """Starts accepting (if it is not): from now on the target answers through the proxy."""
        if self._listener is not None:
            return
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stops accepting and drops every connection, as a server that went away."""
        if self._listener is not None:
            # shutdown wakes the thread blocked in accept(), so the port is free again.
            self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for connection in self._connections:
                # shutdown, not only close: a thread blocked in recv() keeps a closed socket open.
                with contextlib.suppress(OSError):  # the other side has gone already
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                end.close()
