"""The dashboard's ASGI application (Starlette): the JSON API of ``docs/dashboard.md`` and the page.

Read-only by construction: every route is GET (HEAD too); anything else is answered 405. The only
files ever served are the fixed list in :data:`ASSETS` (the page's own script and style sheet,
and plotly.js from the installed plotly package): a path is looked up in that dict, never joined
onto a folder, so ``/assets/../../etc/passwd`` and its encodings are 404s. Every response carries a
Content-Security-Policy that allows scripts, styles, images and requests from this server only
(plus the inline styles plotly sets), so the page works with no network and a run named
``<script>...`` cannot run anything even if it reached the page's HTML (it does not: the page
inserts data as text).

The routes are module-level handlers, each reading the store from ``request.app.state.data``;
:func:`create_app` declares them (:data:`_ROUTES`) with the middleware and the exception handlers.

Example:
    >>> import tempfile, fitwatch
    >>> from starlette.testclient import TestClient
    >>> d = tempfile.mkdtemp()
    >>> with fitwatch.Run("served", dir=d, diagnose=False) as run:
    ...     run.log_epoch(loss=0.9, val_loss=1.0)
    >>> client = TestClient(create_app(d))
    >>> [r["name"] for r in client.get("/api/runs").json()["runs"]]
    ['served']
    >>> client.post("/api/runs").status_code, client.get("/assets/../../etc/passwd").status_code
    (405, 404)
"""

from __future__ import annotations

from pathlib import Path

from fitwatch._version import __version__

from fitwatch.show import style
from fitwatch.store import Store
from fitwatch.show.vendor import PLOTLY_BASIC
from fitwatch.show.dashboard.data import SORT_KEYS, STEPS_MAX_POINTS, BadRequest, DashboardData, NotFound
from fitwatch.show.dashboard.series import dumps, jsonable

HERE = Path(__file__).resolve().parent / "assets"

#: the only files the server sends: URL name -> (file, media type); plotly.js is added by :func:`create_app`
ASSETS = {
    "app.js": (HERE / "app.js", "text/javascript; charset=utf-8"),
    "style.css": (HERE / "style.css", "text/css; charset=utf-8"),
}
INDEX = HERE / "index.html"

#: sent with every response
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-resource-policy": "same-origin",
}

#: the API's routes, also served at ``GET /api`` for discovery
ENDPOINTS = [
    ("/api/runs", "every run: status, epochs, best val_loss and epoch, verdict, tags, note, config; q, verdict, tag, "
                  "sort, order"),
    ("/api/runs/{id}", "one run: config, info, early stopping, diagnosis, the epoch and batch series it has "
                       "(batch ones with their counts), plot annotations"),
    ("/api/runs/{id}/curves", "epoch-level series of every split and metric; since_epoch, smooth, max_points"),
    ("/api/runs/{id}/steps", "batch-level series, downsampled (min/max per bucket); split, metric, max_points, smooth"),
    ("/api/runs/{id}/layers", "what run.watch(model) saw inside the model: layers x sampled steps panels (plotly JSON)"),
    ("/api/runs/{id}/export.csv", "every epoch and batch value, in full, as CSV"),
    ("/api/runs/{id}/export.json", "the record and every series, in full, as JSON"),
    ("/api/compare", "several runs' epoch-level series, one colour a run; ids=1,2,3, smooth, max_points"),
    ("/api/sweep", "each run's best val_loss against one config value; key (default: the first that varies), tag"),
    ("/api/style", "the colours shared with fitwatch plot and fitwatch report"),
]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _imports():
    try:
        import starlette  # noqa: F401
    except ImportError:
        raise ImportError("fitwatch serve needs starlette and uvicorn: pip install 'fitwatch[dashboard]'") from None


def plotly_js() -> Path:
    """plotly.js's *basic* bundle (scatter, bar, pie: all the dashboard draws), shipped with fitwatch
    (:mod:`fitwatch.show.vendor`)."""
    return PLOTLY_BASIC


def create_app(dir=None, *, store: Store | None = None, allowed_hosts=None):
    """The dashboard as an ASGI application.

    Args:
        dir: the store's folder (default ``$FITWATCH_DIR``, else ``./fitwatch``); opened read-only
            with :meth:`fitwatch.Store.open`.
        store: an open store to serve instead of ``dir``.
        allowed_hosts: host names the ``Host`` header may carry (e.g. ``["127.0.0.1", "localhost"]``,
            which :func:`fitwatch.dashboard.serve` passes when it listens on a loopback address:
            a web page elsewhere cannot reach the API through DNS rebinding); None accepts any.

    Returns:
        A ``starlette.applications.Starlette`` application (run it with uvicorn, or
        ``starlette.testclient.TestClient`` in tests).

    Raises:
        fitwatch.StoreError: no store there.
        ImportError: starlette missing (the message says what to install).
    """
    _imports()
    _register_run_id()
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.routing import Route

    assets = {**ASSETS, "plotly-basic.min.js": (plotly_js(), "text/javascript; charset=utf-8")}
    data = DashboardData(store if store is not None else Store.open(dir))
    app = Starlette(routes=[Route(path, endpoint, methods=["GET"]) for path, endpoint in _ROUTES],
                    middleware=[Middleware(_Guard, allowed_hosts=allowed_hosts)],
                    exception_handlers={HTTPException: _not_found, BadRequest: _bad_request, NotFound: _missing})
    app.state.data = data
    app.state.assets = assets
    return app


def _register_run_id() -> None:
    """The ``{run_id:runid}`` path parameter: 1 to 30 digits (a run id is a 64-bit integer), so a
    longer one matches no route (404) instead of reaching ``int()`` (which refuses 4,301 digits: 500)."""
    from starlette.convertors import CONVERTOR_TYPES, Convertor, register_url_convertor

    if "runid" in CONVERTOR_TYPES:
        return

    class RunId(Convertor):
        regex = "[0-9]{1,30}"

        def convert(self, value: str) -> int:
            return int(value)

        def to_string(self, value) -> str:
            return str(int(value))

    register_url_convertor("runid", RunId())


# -- the routes' handlers: each reads the store from request.app.state.data ------------------------
def _json_response(obj, status: int = 200):
    from starlette.responses import Response

    try:
        body = dumps(obj)
    except ValueError:  # a NaN somewhere unexpected: still valid JSON for the browser
        body = dumps(jsonable(obj))
    return Response(body, status_code=status, media_type="application/json")


def _data(request) -> DashboardData:
    return request.app.state.data


def _run_id(request) -> int:
    return request.path_params["run_id"]


def _param(request, name: str, kind=str, default=None):
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        raise BadRequest(f"{name}={raw!r} is not a whole number") from None


def _file(request, path: Path, media: str):
    from starlette.responses import FileResponse, Response

    # revalidated on each load ("no-cache"), answered 304 when unchanged: a returning browser
    # keeps its copy of plotly.js (and its compiled code) instead of fetching 1.2 MB again
    st = path.stat()
    etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    headers = {"cache-control": "no-cache", "etag": etag}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=media, headers=headers)


async def _index(request):
    return _file(request, INDEX, "text/html; charset=utf-8")


async def _asset(request):
    from starlette.exceptions import HTTPException

    entry = request.app.state.assets.get(request.path_params["name"])  # a fixed list: never a path joined onto a folder
    if entry is None:
        raise HTTPException(404, "no such asset")
    return _file(request, *entry)


def _api(request):
    return _json_response({"fitwatch": __version__, "store": str(_data(request).store.path),
                           "endpoints": [{"path": p, "about": a} for p, a in ENDPOINTS],
                           "docs": "docs/dashboard.md"})


def _api_style(request):
    return _json_response({"split_colors": style.SPLIT_COLORS, "run_colors": style.RUN_COLORS,
                           "annotation": style.ANNOTATION, "verdict_colors": style.VERDICT_COLORS,
                           "status_colors": style.STATUS_COLORS, "severity_colors": style.SEVERITY_COLORS,
                           "split_dash": {s: style.split_dash(s) for s in ("train", "val", "test")},
                           "log_span": style.LOG_SPAN, "sort_keys": list(SORT_KEYS)})


def _runs(request):
    return _json_response(_data(request).runs(q=_param(request, "q", default=""),
                                              verdict=_param(request, "verdict", default=""),
                                              tag=_param(request, "tag", default=""),
                                              sort=_param(request, "sort", default="id"),
                                              order=_param(request, "order", default="desc")))


def _run(request):
    return _json_response(_data(request).run(_run_id(request)))


def _curves(request):
    return _json_response(_data(request).curves(_run_id(request), since_epoch=_param(request, "since_epoch", int),
                                                smooth=_param(request, "smooth", default=0.0),
                                                max_points=_param(request, "max_points")))


def _steps(request):
    return _json_response(_data(request).steps(_run_id(request), split=_param(request, "split"),
                                               metric=_param(request, "metric"),
                                               max_points=_param(request, "max_points", default=STEPS_MAX_POINTS),
                                               smooth=_param(request, "smooth", default=0.0)))


def _export(request, kind: str):
    from starlette.responses import StreamingResponse

    data, rid = _data(request), _run_id(request)
    chunks = data.export_csv(rid) if kind == "csv" else data.export_json(rid)
    media = "text/csv; charset=utf-8" if kind == "csv" else "application/json"
    return StreamingResponse(chunks, media_type=media, headers={
        "content-disposition": f'attachment; filename="fitwatch-run-{rid}.{kind}"'})


def _layers(request):
    return _json_response(_data(request).layers(_run_id(request)))


def _export_csv(request):
    return _export(request, "csv")


def _export_json(request):
    return _export(request, "json")


def _compare(request):
    raw = _param(request, "ids", default="")
    try:
        ids = [int(p) for p in raw.split(",") if p.strip()]
    except ValueError:
        raise BadRequest(f"ids={raw!r}; pass run ids separated by commas, e.g. ids=1,2,3") from None
    if len(ids) > 20:
        raise BadRequest(f"{len(ids)} runs to compare; pass at most 20")
    return _json_response(_data(request).compare(ids, smooth=_param(request, "smooth", default=0.0),
                                                 max_points=_param(request, "max_points")))


def _sweep(request):
    return _json_response(_data(request).sweep(key=_param(request, "key", default=""),
                                               tag=_param(request, "tag", default="")))


async def _not_found(request, exc):
    from starlette.responses import JSONResponse, PlainTextResponse

    code = getattr(exc, "status_code", 404)
    msg = str(exc) if isinstance(exc, NotFound) else getattr(exc, "detail", "not found")
    if code == 405:
        msg = f"{request.method} is not allowed: the dashboard is read-only (GET only)"
    if request.url.path.startswith("/api"):
        return JSONResponse({"error": msg}, status_code=code)
    return PlainTextResponse(msg, status_code=code)


async def _bad_request(request, exc):
    from starlette.responses import JSONResponse

    return JSONResponse({"error": str(exc)}, status_code=400)


async def _missing(request, exc):
    from starlette.responses import JSONResponse

    return JSONResponse({"error": str(exc.args[0] if exc.args else exc)}, status_code=404)


#: path -> handler, every one GET (HEAD too); the order is the order Starlette matches them in
_ROUTES = [
    ("/", _index),
    ("/assets/{name}", _asset),
    ("/api", _api),
    ("/api/style", _api_style),
    ("/api/runs", _runs),
    ("/api/runs/{run_id:runid}", _run),
    ("/api/runs/{run_id:runid}/curves", _curves),
    ("/api/runs/{run_id:runid}/steps", _steps),
    ("/api/runs/{run_id:runid}/layers", _layers),
    ("/api/runs/{run_id:runid}/export.csv", _export_csv),
    ("/api/runs/{run_id:runid}/export.json", _export_json),
    ("/api/compare", _compare),
    ("/api/sweep", _sweep),
]


class _Guard:
    """ASGI middleware: the security headers on every response, and the ``Host`` check."""

    def __init__(self, app, allowed_hosts=None):
        self.app = app
        self.allowed = None if allowed_hosts is None else {h.lower().strip("[]") for h in allowed_hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        if self.allowed is not None:
            host = _host_name(dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1"))
            if host not in self.allowed:
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *extra]})
                await send({"type": "http.response.body",
                            "body": b"fitwatch dashboard: unexpected Host header; open it as http://127.0.0.1:PORT/"})
                return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _host_name(header: str) -> str:
    """The host of a ``Host`` header, without port or IPv6 brackets: ``[::1]:6007`` -> ``::1``."""
    h = header.strip().lower()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h
