"""The live dashboard: ``fitwatch serve`` (a local, read-only web app over a store).

Pages (vanilla JavaScript and plotly.js, both served by this package: no CDN, no network): the
runs list (status, epochs, best validation loss, verdict; filter, sort, select to compare), a run
page (every curve, live while the run trains, with the diagnosis, config and early stop), and runs
compared overlaid. Behind them a small JSON API, documented in ``docs/dashboard.md``.

Needs the ``dashboard`` extra (starlette, uvicorn, plotly): ``pip install 'fitwatch[dashboard]'``.
Nothing here is imported by ``import fitwatch``.
"""

from __future__ import annotations

import ipaddress
import socket
import sys

from fitwatch.show.dashboard.app import LOOPBACK_HOSTS, create_app

__all__ = ["serve", "create_app", "listen", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine (``127.0.0.1``, ``::1``, ``localhost``).

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
        (True, True, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listen(host: str = "127.0.0.1", port: int = 6007) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one; ``sock.getsockname()[1]`` tells which).

    Raises:
        OSError: the address cannot be used; the message names it and the fix.
    """
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM,
                                                          flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as e:
        raise OSError(f"fitwatch serve: cannot listen on {host}:{port} ({e.strerror or e}); "
                      f"pass --host 127.0.0.1") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise OSError(f"fitwatch serve: cannot listen on {host}:{port} ({e.strerror or e}); "
                      f"pick another port with --port N (0 picks a free one)") from None
    sock.set_inheritable(True)
    return sock


def url_of(host: str, port: int) -> str:
    """``http://HOST:PORT/`` (IPv6 addresses in brackets)."""
    h = host.strip("[]")
    return f"http://[{h}]:{port}/" if ":" in h else f"http://{h}:{port}/"


def serve(dir=None, host: str = "127.0.0.1", port: int = 6007) -> None:
    """Serve the dashboard until Ctrl-C.

    Prints ``fitwatch dashboard: http://127.0.0.1:PORT/ (store: PATH) — Ctrl-C to stop`` with the
    real port (``port=0`` picks a free one). Listens on this machine only unless ``host`` says
    otherwise; on any other address it warns that the dashboard has no authentication.

    Args:
        dir: the store's folder (default ``$FITWATCH_DIR``, else ``./fitwatch``).
        host: the address to listen on.
        port: the port; 0 for any free port.

    Raises:
        fitwatch.StoreError: no store there.
        ImportError: the ``dashboard`` extra is missing (the message says what to install).
        OSError: the address or port cannot be used (the message says what to do).
    """
    try:
        import uvicorn
    except ImportError:
        raise ImportError("fitwatch serve needs starlette and uvicorn: pip install 'fitwatch[dashboard]'") from None
    loopback = is_loopback(host)
    app = create_app(dir, allowed_hosts=[*LOOPBACK_HOSTS, host] if loopback else None)
    sock = listen(host, port)
    real_port = sock.getsockname()[1]
    store = app.state.data.store.path
    if not loopback:
        print(f"fitwatch: warning: listening on {host}: the dashboard has no authentication; anyone who can "
              f"reach this address can read every run in {store}", file=sys.stderr, flush=True)
    ready = f"fitwatch dashboard: {url_of(host, real_port)} (store: {store}) — Ctrl-C to stop"

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            # said once the server serves and has taken over Ctrl-C: a Ctrl-C that came earlier, while
            # asyncio's own handler was in place, could cancel the start-up and leave the server running
            print(ready, flush=True)

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    try:
        Server(config).run(sockets=[sock])
    finally:
        sock.close()
