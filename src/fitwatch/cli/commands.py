"""The ``fitwatch`` command line: ``runs``, ``show``, ``diagnose``, ``plot``, ``report``, ``serve``, ``demo``,
and (in :mod:`fitwatch.cli.manage`) ``tag``, ``note``, ``rename``, ``rm``.

This module parses arguments and delegates: rendering lives in :mod:`fitwatch.tables`, the demo's
training in :mod:`fitwatch.demo`, pictures in :mod:`fitwatch.plot`, :mod:`fitwatch.report` and
:mod:`fitwatch.dashboard`. User errors (no store, not a fitwatch store, no such run) print one
line on standard error and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import warnings

from fitwatch._version import __version__
from fitwatch.store import DB_NAME, ENV_DIR, Store, StoreError

EXIT_USAGE = 2

_DIR_HELP = (f"the store's folder (or its .db file); default: ${ENV_DIR}, else ./fitwatch "
             f"(the folder that holds {DB_NAME})")


class UserError(Exception):
    """Something the user can fix; printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    """The ``fitwatch`` parser: the global options, then one subcommand each ``_add_*`` function declares."""
    # --dir is accepted before and after the command: the command's copy defaults to SUPPRESS so that
    # `fitwatch --dir X runs` is not overridden by the command's own (absent) --dir.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", metavar="PATH", default=argparse.SUPPRESS, help=_DIR_HELP)

    parser = argparse.ArgumentParser(
        prog="fitwatch",
        description="Watch a neural network's fit: list recorded runs and show their epochs.",
        epilog="Examples: fitwatch demo | fitwatch runs | fitwatch show digits-mlp | "
               "fitwatch diagnose digits-mlp | fitwatch diagnose training.log.csv --json",
    )
    parser.add_argument("--version", action="version", version=f"fitwatch {__version__}")
    parser.add_argument("--dir", metavar="PATH", default=None, help=_DIR_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from fitwatch.cli import manage

    for add in (_add_runs, _add_show, _add_diagnose, _add_plot, _add_report, _add_serve, _add_demo, manage.add_parsers):
        add(sub, common)
    return parser


def _add_runs(sub, common) -> None:
    p = sub.add_parser("runs", parents=[common], help="list the runs in the store",
                       description="List every run: status, epochs, best validation loss and its epoch.")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.add_argument("--tag", metavar="TAG", help="only the runs tagged TAG (fitwatch tag RUN TAG)")
    p.add_argument("--config", metavar="KEY,...", help="the config keys to show as columns (nested: optimizer.lr; "
                                                     "default: those that differ across the runs, as many as fit)")
    p.set_defaults(func=cmd_runs)


def _add_show(sub, common) -> None:
    p = sub.add_parser("show", parents=[common], help="show one run's epochs",
                       description="Show a run's record and its per-epoch table, every metric of every split.")
    p.add_argument("run", metavar="RUN", help="a run's name (the latest run of that name) or its id, or a log file "
                                              "that `fitwatch diagnose` reads")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--last", metavar="N", type=_positive_int, help="show only the last N epochs")
    g.add_argument("--all", action="store_true", dest="show_all", help="show every epoch")
    g.add_argument("--csv", action="store_true", help="print every epoch as CSV")
    g.add_argument("--layers", action="store_true",
                   help="what run.watch(model) saw inside the model: each layer's gradients and updates, each "
                        "activation's dead and saturated units, and the causes they name")
    p.add_argument("--monitor", metavar="NAME", help="the curve whose best epoch is marked (default val_loss), a key "
                                                    "or a column as written in the file, as diagnose takes it")
    p.set_defaults(func=cmd_show)


def _add_diagnose(sub, common) -> None:
    p = sub.add_parser("diagnose", parents=[common], help="say what a run's curves show, and what to do",
                       description="Diagnose training curves: verdict (good_fit, overfitting, underfitting, "
                                   "still_improving, not_learning, unstable, diverged), best epoch, findings with "
                                   "evidence and remedies. SOURCE: a run name in the store, or a log file or "
                                   "folder (Keras CSVLogger CSV and variants, Lightning metrics.csv, JSON lines, "
                                   "TensorBoard events).")
    p.add_argument("sources", metavar="PATH_OR_RUN", nargs="+", help="run names, log files or folders")
    p.add_argument("--json", action="store_true", help="one JSON object per source (schema: docs/diagnosis.md)")
    p.add_argument("--monitor", default="val_loss", metavar="NAME",
                   help="the validation curve to judge (default val_loss)")
    p.add_argument("--baseline", type=float, metavar="LOSS",
                   help="the loss of predicting without skill, when you know it: the target's variance for an "
                        "MSE regression, ln(C) for C classes (a loss that stays there is not_learning)")
    p.add_argument("--data", choices=("tabular", "image", "text", "audio"),
                   help="what the data is (tabular: no image augmentation is suggested)")
    p.set_defaults(func=cmd_diagnose)


def _add_plot(sub, common) -> None:
    p = sub.add_parser("plot", parents=[common], help="draw the curves to a PNG, SVG or PDF file",
                       description="Draw training and validation curves (loss, and a second panel for accuracy "
                                   "or another metric), the best epoch, the overfitting onset and the early stop "
                                   "marked. Several sources are overlaid. SOURCE: a run name or any file "
                                   "`fitwatch diagnose` reads. Needs matplotlib: pip install 'fitwatch[plot]'.")
    p.add_argument("sources", metavar="SOURCE", nargs="+", help="run names, log files or folders")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the image to write: .png, .svg or .pdf")
    p.add_argument("--smooth", type=_weight, default=0.0, metavar="W",
                   help="TensorBoard's smoothing weight in [0, 1), e.g. 0.6 (the raw curve stays, faint)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--log", dest="log", action="store_true", default=None, help="log scale for the loss")
    g.add_argument("--linear", dest="log", action="store_false", help="linear scale for the loss")
    p.add_argument("--monitor", default="val_loss", metavar="NAME", help="the curve the diagnosis judges")
    p.set_defaults(func=cmd_plot)


def _add_report(sub, common) -> None:
    p = sub.add_parser("report", parents=[common], help="write a self-contained HTML report",
                       description="Write one HTML file that works offline: interactive curves, the verdict "
                                   "and every finding with its evidence and remedies, the run's config and its "
                                   "per-epoch table.")
    p.add_argument("sources", metavar="SOURCE", nargs="+", help="a run name or a log file (several overlay)")
    p.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="the HTML file to write (default: <name>.html in the current folder)")
    p.add_argument("--monitor", default="val_loss", metavar="NAME", help="the curve the diagnosis judges")
    p.add_argument("--smooth", type=_weight, default=0.0, metavar="W",
                   help="the smoothing slider's weight when the page opens, in [0, 1), e.g. 0.6 (default 0: raw)")
    p.set_defaults(func=cmd_report)


def _add_serve(sub, common) -> None:
    p = sub.add_parser("serve", parents=[common], help="the live dashboard in your browser",
                       description="Serve the local dashboard: the runs list, live curves of every run, its "
                                   "diagnosis, comparisons. Read-only. Needs starlette and uvicorn: "
                                   "pip install 'fitwatch[dashboard]'.")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_port, default=6007, help="the port (default 6007; 0 picks a free one)")
    p.set_defaults(func=cmd_serve)


def _add_demo(sub, common) -> None:
    p = sub.add_parser("demo", parents=[common], help="train a small PyTorch model that overfits, recorded",
                       description="Train an MLP on scikit-learn's digits (bundled, no download) that "
                                   "overfits within seconds, recorded with fitwatch. Needs torch and "
                                   "scikit-learn: pip install 'fitwatch[demo]'.")
    from fitwatch.cli.demo import DEFAULT_EPOCHS, DEFAULT_NAME

    p.add_argument("--epochs", type=_positive_int, default=DEFAULT_EPOCHS,
                   help=f"number of epochs (default {DEFAULT_EPOCHS})")
    p.add_argument("--name", default=DEFAULT_NAME, help=f"the run's name (default {DEFAULT_NAME})")
    p.set_defaults(func=cmd_demo)


def _positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    return v


def _number_in(kind, lo: float, hi: float, hint: str, upper_open: bool = False):
    """An argparse type: a number of ``kind`` in [lo, hi] (or [lo, hi)), else a message with ``hint``."""
    def parse(s: str):
        try:
            v = kind(s)
        except ValueError:
            v = None
        if v is None or not lo <= v <= hi or (upper_open and v == hi):
            raise argparse.ArgumentTypeError(f"expected {hint}, got {s!r}")
        return v
    return parse


_weight = _number_in(float, 0.0, 1.0, "a smoothing weight in [0, 1), e.g. 0.6", upper_open=True)
_port = _number_in(int, 0, 65535, "a port number 0-65535")


def open_store(dir) -> Store:
    try:
        return Store(dir, create=False)
    except StoreError as e:
        raise UserError(str(e)) from None


# -- commands -------------------------------------------------------------------------------------
def cmd_runs(args) -> int:
    from fitwatch.cli.manage import list_runs

    return list_runs(args)


def cmd_show(args) -> int:
    from fitwatch.show import logfile, tables

    try:
        store = open_store(args.dir)
    except UserError as e:
        if os.path.exists(args.run):  # no store here: a log file or folder, as diagnose, plot and report take
            return _show_file(args)
        # neither: named as diagnose, plot and report name it (a mistyped file read "no fitwatch store here")
        raise UserError(f"{args.run}: no such file or folder, and no fitwatch store to find a run of that name "
                        f"({e.args[0] if e.args else e})") from None
    try:
        data = store.load(args.run)
        if args.layers:
            return _show_layers(data)  # its probes are read from the open store
    except KeyError as e:
        if os.path.exists(args.run):  # not a run of the store: a log file or folder
            return _show_file(args)
        raise UserError(e.args[0] if e.args else f"no run {args.run!r}") from None
    finally:
        store.close()
    if args.csv:
        sys.stdout.write(tables.epochs_csv(data))
        return 0
    from fitwatch.core.names import keras_key
    from fitwatch.diagnosis.monitored import higher_is_better

    keys = [keras_key(*k) for k in data.metrics]
    if args.monitor and args.monitor not in keys:
        raise UserError(f"run {data.name!r} has no metric {args.monitor!r}: --monitor takes one of "
                        f"{', '.join(keys) or '(no metric logged)'}")
    monitor = ("+" if higher_is_better(args.monitor) else "") + args.monitor if args.monitor else None
    monitor, heads = (monitor, []) if monitor else logfile.run_best_keys(data)  # the judged score's best, each head's
    tables.print_show(data, tables.make_console(), last=args.last, show_all=args.show_all, monitor=monitor, heads=heads)
    return 0


def _show_layers(data) -> int:
    """``fitwatch show RUN --layers``: the probes of a watched run, layer by layer, and its causes."""
    from fitwatch.diagnosis.analyze import diagnose_curves
    from fitwatch.diagnosis.readers.store_runs import from_rundata
    from fitwatch.show import tables
    from fitwatch.show.layers import layers_table

    from fitwatch.diagnosis.readers import ReadError

    try:
        curves = from_rundata(data)
    except ReadError as e:
        raise UserError(e.args[0]) from None
    if not curves.inside:
        raise UserError(f"run {data.name!r} has no probes: watch the model while it trains "
                        f"(run.watch(model) before the loop) to see inside it")
    console = tables.make_console()
    console.print(tables.show_header(data), soft_wrap=True)
    causes = diagnose_curves(curves).causes if len(curves) else []
    for part in layers_table(curves.inside, causes):
        tables.print_wide(console, part)
    return 0


def _show_file(args) -> int:
    """``fitwatch show FILE``: every run the file holds, as the store's runs are shown."""
    from fitwatch.diagnosis.readers import ReadError, read_curves
    from fitwatch.show import logfile, tables

    try:
        runs = read_curves(args.run)
    except ReadError as e:
        raise UserError(e.args[0]) from None
    if args.layers:
        raise UserError(f"{args.run}: a log file holds no probes; --layers shows a run recorded with "
                        f"run.watch(model)")
    console = tables.make_console()
    for curves in runs:
        if args.csv:
            sys.stdout.write(tables.epochs_csv(logfile.curves_as_run(curves)))
        else:
            try:
                logfile.print_show_curves(curves, console, last=args.last, show_all=args.show_all, monitor=args.monitor)
            except KeyError as e:
                raise UserError(e.args[0]) from None
    return 0


def cmd_diagnose(args) -> int:
    from fitwatch.diagnosis.analyze import diagnose
    from fitwatch.diagnosis.readers import ReadError

    results = []
    for src in args.sources:
        try:
            results.append(diagnose(src, monitor=args.monitor, dir=args.dir, baseline=args.baseline,
                                    context={"data": args.data} if args.data else None))
        except (ReadError, KeyError, ValueError) as e:
            raise UserError(e.args[0] if e.args else str(e)) from None
    if args.json:
        for d in results:
            print(json.dumps(d.to_dict()))
        return 0
    from fitwatch.show import tables

    console = tables.make_console()
    for d in results:
        for r in d.runs or [d]:
            console.print(r)
    return 0


def cmd_plot(args) -> int:
    from fitwatch.show.plot import save_plot

    path = _user_errors(save_plot, args.sources, args.output, smooth=args.smooth, log=args.log, dir=args.dir,
                        monitor=args.monitor)
    print(path)
    return 0


def cmd_report(args) -> int:
    from fitwatch.show.report import write_report

    path = _user_errors(write_report, args.sources, args.output, dir=args.dir, monitor=args.monitor,
                        smooth=args.smooth)
    print(path)
    return 0


def cmd_serve(args) -> int:
    from fitwatch.show.dashboard import serve

    open_store(args.dir).close()  # no store, or not a fitwatch store: say so before listening
    return _user_errors(serve, dir=args.dir, host=args.host, port=args.port) or 0


def _user_errors(fn, *a, **kw):
    """Call ``fn``; what the user can fix (bad source, missing extra, bad file name) becomes one line."""
    from fitwatch.diagnosis.readers import ReadError

    try:
        return fn(*a, **kw)
    except (ReadError, KeyError, ValueError, ImportError, OSError) as e:
        raise UserError(e.args[0] if len(e.args) == 1 and isinstance(e.args[0], str) else str(e)) from None


def cmd_demo(args) -> int:
    from fitwatch.cli import demo
    from fitwatch.store import resolve_path

    if resolve_path(args.dir).exists():
        open_store(args.dir).close()  # a store that cannot be used says so now, not after training
    try:
        demo.require()
    except demo.MissingDependency as e:
        raise UserError(str(e)) from None
    return demo.main(epochs=args.epochs, name=args.name, dir=args.dir)


# -- entry point ----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    show = warnings.showwarning
    warnings.showwarning = _warning  # one line each, as the errors: no file:line, no source line
    try:
        return args.func(args)
    except UserError as e:
        _error(str(e))
        return EXIT_USAGE
    except StoreError as e:  # e.g. a store that turns out unreadable half-way
        _error(str(e))
        return EXIT_USAGE
    except sqlite3.Error as e:  # e.g. a locked or read-only database
        from fitwatch.store import resolve_path

        _error(f"{resolve_path(args.dir)}: {e}")
        return 1
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        # `fitwatch show x | head`: the reader left; exit quietly, without a second error at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as e:  # the last resort: one line, never a traceback (FITWATCH_DEBUG=1 shows it)
        if os.environ.get("FITWATCH_DEBUG"):
            raise
        _error(f"unexpected {type(e).__name__}: {str(e)[:300]}; a damaged store or file reads like this "
               f"(restore it from a copy), else it is a fitwatch bug: rerun with FITWATCH_DEBUG=1 for the "
               f"traceback and report it")
        return 1
    finally:
        warnings.showwarning = show


def _warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning raised while a command runs (a file skipped, a NaN stored...), as one line on
    standard error; a warning that is not fitwatch's own says its category."""
    text = _one_line(str(message))
    _error(text if _OURS.match(text) else f"{category.__name__}: {text}")


def _one_line(msg: str) -> str:
    return " ".join(msg.split())


def _error(msg: str) -> None:
    """Print ``msg`` as one line on standard error, after ``fitwatch: `` unless it already starts with
    fitwatch's name (``fitwatch: ...``, ``fitwatch serve: ...``, ``fitwatch plot needs ...``)."""
    line = _one_line(msg)
    print(line if _OURS.match(line) else f"fitwatch: {line}", file=sys.stderr)


_OURS = re.compile(r"fitwatch[: ]")  # a message that already starts with fitwatch's name

