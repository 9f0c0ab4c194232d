"""A real dashboard server (uvicorn on a free port) in a background thread, for tests and benchmarks."""

import threading
import time


class ServerThread:
    """``fitwatch.dashboard.create_app(dir)`` served by uvicorn on 127.0.0.1 and a free port.

    Use as a context manager; ``.url`` is ``http://127.0.0.1:PORT/``.
    """

    def __init__(self, dir):
        import uvicorn

        from fitwatch.show.dashboard import create_app, listen

        self.app = create_app(dir, allowed_hosts=["127.0.0.1", "localhost"])
        self.sock = listen("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True,
                                       name="fitwatch-dashboard-test")

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the dashboard server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
