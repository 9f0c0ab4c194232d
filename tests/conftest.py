import os
import sys
from pathlib import Path

import pytest

# Keras 3 runs on the torch backend here (no TensorFlow); set before any test imports keras.
os.environ.setdefault("KERAS_BACKEND", "torch")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    """A fresh store folder, also set as FITWATCH_DIR for code that uses the default."""
    d = tmp_path / "store"
    monkeypatch.setenv("FITWATCH_DIR", str(d))
    return d


def run_python(code: str, *args, env=None, cwd=None, timeout=120, check=True):
    """Run ``code`` in a fresh Python process (the interpreter running the tests)."""
    import subprocess

    full_env = {**os.environ, **(env or {})}
    p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                       env=full_env, cwd=cwd, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"child failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models: torch's intra-op threads only contend with each other (and other processes);
    one thread also makes their numbers reproducible. Use with pytestmark = usefixtures(...)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def train_digits_mlp(name, dir, *, n_train=200, epochs=200, config=None, diagnose="quiet", lr=3e-3, watch=False):
    """A real torch loop recorded with fitwatch: a wide MLP on ``n_train`` digits (it overfits within
    seconds; the other digits validate), stopped by ``fitwatch.EarlyStopping()`` with ``restore=model``,
    train and val loss and accuracy logged per batch. Returns ``(run, stopper)``; the run is finished.
    Use with the ``one_torch_thread`` fixture for reproducible numbers. ``watch``: probe the model
    (``run.watch(model)``)."""
    import torch
    from sklearn.datasets import load_digits

    import fitwatch

    x, y = load_digits(return_X_y=True)
    x, y = torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)
    xt, yt, xv, yv = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    stopper = fitwatch.EarlyStopping()
    run = fitwatch.Run(name, dir=dir, config=config, diagnose=diagnose)
    if watch:
        run.watch(model, every=10)
    for _ in run.epochs(epochs, stop=stopper, restore=model):
        model.train()
        for i in range(0, len(xt), 32):
            out = model(xt[i:i + 32])
            loss = loss_fn(out, yt[i:i + 32])
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log("train", loss=loss, accuracy=(out.argmax(1) == yt[i:i + 32]).float().mean(), n=len(out))
        model.eval()
        with torch.no_grad():
            out = model(xv)
            run.log("val", loss=loss_fn(out, yv), accuracy=(out.argmax(1) == yv).float().mean(), n=len(xv))
    run.finish()
    return run, stopper


# -- a real browser: Debian's Chromium driven by Playwright (never a downloaded browser) -----------
CHROMIUM = os.environ.get("FITWATCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = ROOT / "test-artifacts"  # screenshots of the dashboard and the report (git-ignored)


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium. Skipped when Chromium or Playwright is missing, except under CI=true,
    where the browser tests must run (``.ci/run`` installs the Debian packages)."""
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    missing = None
    if not os.path.exists(CHROMIUM):
        missing = f"{CHROMIUM} not found (apt-get install chromium chromium-driver)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = missing or "playwright is not installed (pip install -e '.[dev]')"
    if missing:
        if ci:
            pytest.fail(f"browser tests need Chromium under CI: {missing}")
        pytest.skip(missing)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page in its own context (no shared cookies or cache), 1280x800 like a laptop."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    yield pg
    context.close()


# -- a real PostgreSQL server: initdb + pg_ctl on a loopback port (tests/pg_server.py), never a mock ---
@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server (one per test session; each test makes its own database).
    Skipped when PostgreSQL or psycopg is missing, except under CI=true, where it must run
    (``.ci/run`` installs Debian's ``postgresql``)."""
    import pg_server as pg

    missing = None if pg.binaries() else "PostgreSQL is not installed (apt-get install postgresql): no initdb"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing = missing or "psycopg is not installed (pip install -e '.[dev]')"
    if missing:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"PostgreSQL tests need a server under CI: {missing}")
        pytest.skip(missing)
    server = pg.current = pg.PgServer.start()
    yield server
    pg.current = None
    server.destroy()
