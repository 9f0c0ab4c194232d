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
