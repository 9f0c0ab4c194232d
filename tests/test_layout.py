"""The house rules of the package's layout (DEVELOPERS.md, "Layout"), checked on every `make test`:
the import-linter contracts, a docstring for every layer, the size limits, no private name crossing
modules, the moved import paths, and a core that imports no framework."""

import ast
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_python

import fitwatch

SRC = ROOT / "src" / "fitwatch"
LAYERS = ["core", "store", "diagnosis", "stopping", "probes", "record", "show", "preflight", "integrations", "cli"]
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
#: a module or function over the limit says why, in a comment starting with this, on the line above
#: its ``def`` (a function) or among its first lines (a module)
REASON = "# size:"


def _modules():
    return sorted(SRC.rglob("*.py"))


def test_import_linter_contracts_are_kept():
    """The layers (each imports only from those below it), the independence of the integrations, the
    store backends and the reader modules: the contracts in pyproject.toml, run as CI runs them."""
    exe = Path(sys.executable).with_name("lint-imports")
    p = subprocess.run([str(exe), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert "0 broken" in p.stdout


def test_the_layers_contract_names_every_layer_and_only_the_plot_and_notebook_exceptions():
    text = (ROOT / "pyproject.toml").read_text()
    layers = re.search(r"\nlayers = \[(.*?)\]", text, re.S).group(1)
    for layer in LAYERS:
        assert re.search(rf"\bfitwatch\.{layer}\b", layers), layer
    ignored = re.search(r"ignore_imports = \[(.*?)\]", text, re.S).group(1)
    assert sorted(re.findall(r'"([^"]+)"', ignored)) == [
        "fitwatch.diagnosis.findings -> fitwatch.show.notebook",
        "fitwatch.diagnosis.findings -> fitwatch.show.plot",
        "fitwatch.record.notebook_live -> fitwatch.show.notebook",
        "fitwatch.store.rundata -> fitwatch.show.notebook",
        "fitwatch.store.rundata -> fitwatch.show.plot",
    ]


@pytest.mark.parametrize("layer", LAYERS)
def test_every_layer_says_what_lives_there_and_what_it_may_import(layer):
    module = importlib.import_module(f"fitwatch.{layer}") if layer != "integrations" else None
    doc = (module.__doc__ if module else ast.get_docstring(ast.parse((SRC / layer / "__init__.py").read_text())))
    assert doc and "import" in doc, f"fitwatch.{layer}.__init__ needs a docstring saying what it may import"


def _function_sizes(path: Path):
    """(body lines, docstring left out; line of the def; name) of every function in ``path``."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = node.lineno
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
                    and isinstance(first.value.value, str):
                start = first.end_lineno
            yield node.end_lineno - start, node.lineno - len(node.decorator_list), node.name


def test_no_module_over_500_lines_without_a_reason():
    over = []
    for path in _modules():
        lines = path.read_text().splitlines()
        if len(lines) > MAX_MODULE_LINES and not any(ln.startswith(REASON) for ln in lines[:40]):
            over.append(f"{path.relative_to(SRC)}: {len(lines)} lines")
    assert not over, over


def test_no_function_over_80_lines_without_a_reason():
    over = []
    for path in _modules():
        lines = path.read_text().splitlines()
        for size, line, name in _function_sizes(path):
            if size > MAX_FUNCTION_LINES and not lines[line - 2].strip().startswith(REASON):
                over.append(f"{path.relative_to(SRC)}:{line} {name}: {size} lines")
    assert not over, over


def test_no_private_name_is_imported_from_another_module():
    """``from fitwatch.x import _name``: a private name crossing modules (make it public, or move it)."""
    crossing = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fitwatch"):
                for alias in node.names:
                    submodule = (SRC / Path(*node.module.split(".")[1:]) / alias.name).with_suffix(".py")
                    if alias.name.startswith("_") and not alias.name.startswith("__") and not submodule.exists():
                        crossing.append(f"{path.relative_to(SRC)}: {node.module}.{alias.name}")
    assert not crossing, crossing


def test_no_module_imports_the_package_root():
    """A layer that imports ``fitwatch`` itself depends on every layer (the version is in _version)."""
    rooted = []
    for path in _modules():
        if path.parent == SRC or path.relative_to(SRC).parts[0] == "cli":
            continue  # the root and the command line stand above everything
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if "fitwatch" in names or (isinstance(node, ast.ImportFrom) and node.module == "fitwatch"):
                rooted.append(str(path.relative_to(SRC)))
    assert not rooted, rooted


OLD_PATHS = {
    "fitwatch.report": "fitwatch.show.report", "fitwatch.readers": "fitwatch.diagnosis.readers",
    "fitwatch.plot": "fitwatch.show.plot", "fitwatch.smoothing": "fitwatch.show.smoothing",
    "fitwatch.style": "fitwatch.show.style", "fitwatch.dashboard": "fitwatch.show.dashboard",
    "fitwatch.dashboard.series": "fitwatch.show.dashboard.series", "fitwatch.dashboard.app": "fitwatch.show.dashboard.app",
    "fitwatch.keeper": "fitwatch.stopping.keeper",
    "fitwatch.curves": "fitwatch.diagnosis.curves", "fitwatch.rundata": "fitwatch.store.rundata",
    "fitwatch.thresholds": "fitwatch.diagnosis.thresholds", "fitwatch.caller": "fitwatch.core.caller",
    "fitwatch.integrations.weights": "fitwatch.stopping.weights", "fitwatch.names": "fitwatch.core.names",
    "fitwatch.analyze": "fitwatch.diagnosis.analyze", "fitwatch.run": "fitwatch.record.run",
    "fitwatch.tables": "fitwatch.show.tables", "fitwatch.demo": "fitwatch.cli.demo",
}


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_a_moved_module_keeps_its_old_import_path(old):
    """The documented paths (``from fitwatch.report import write_report``...) are the new modules themselves."""
    assert importlib.import_module(old) is importlib.import_module(OLD_PATHS[old])
    assert importlib.import_module(OLD_PATHS[old]).__spec__.name == OLD_PATHS[old]


def test_the_documented_names_at_their_old_paths():
    from fitwatch.diagnosis import VERDICTS
    from fitwatch.readers import ReadError, read_curves  # noqa: F401
    from fitwatch.report import write_report
    from fitwatch.stopping import EarlyStopping
    from fitwatch.store import Store, StoreError, pid_alive  # noqa: F401

    assert write_report is fitwatch.show.report.write_report and EarlyStopping is fitwatch.EarlyStopping
    assert Store is fitwatch.Store and "good_fit" in VERDICTS
    assert fitwatch.smoothing.ema is fitwatch.show.smoothing.ema  # attribute access, no import statement


def test_every_public_name_of_a_former_module_is_still_there():
    """The names the flat modules had, at their old paths (a reviewer found these missing once), and
    fitwatch.keras's: its two callbacks and, since issue 14, its pre-flight checks and range test."""
    from fitwatch.cli import EXIT_USAGE, UserError, build_parser, cmd_runs, main, open_store  # noqa: F401
    from fitwatch.run import chain_exit_hooks  # noqa: F401
    from fitwatch.stopping import MIN_GAIN, PATIENCE_SMOOTH, TREND_WINDOW  # noqa: F401

    assert callable(main) and fitwatch.cli.main is main  # the function, as before (the module is cli.commands)
    namespace = {}
    exec("from fitwatch.keras import *", namespace)
    names = sorted(k for k in namespace if not k.startswith("__"))
    assert names == ["Callback", "EarlyStopping", "lr_find", "preflight"]


def test_python_dash_m_on_an_old_path_runs_the_module():
    p = subprocess.run([sys.executable, "-m", "fitwatch.cli", "--version"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and fitwatch.__version__ in p.stdout + p.stderr
    p = subprocess.run([sys.executable, "-m", "fitwatch.demo"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr  # the module runs (it defines the demo, starts nothing)


def test_every_module_of_the_walk_imports():
    """No module left behind by a move (a broken import only shows when something imports it)."""
    skip = ("fitwatch.integrations.", "fitwatch.__main__", "fitwatch.cli.__main__")
    names = [m.name for m in pkgutil.walk_packages(fitwatch.__path__, "fitwatch.") if not m.name.startswith(skip)]
    assert len(names) > 30
    for name in names:
        importlib.import_module(name)


def test_import_fitwatch_and_a_run_load_no_framework_and_no_show_module():
    out = run_python(
        "import sys, tempfile, fitwatch\n"
        "with fitwatch.Run('core-only', dir=tempfile.mkdtemp(), diagnose='quiet') as run:\n"
        "    run.log_epoch(loss=1.0, val_loss=1.1)\n"
        "heavy = ('torch', 'keras', 'matplotlib', 'plotly', 'starlette', 'uvicorn', 'pandas', 'tensorboard', "
        "'sklearn', 'fitwatch.show', 'fitwatch.cli', 'fitwatch.integrations')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy)))\n"
    ).stdout
    assert out.strip() == "[]", out
