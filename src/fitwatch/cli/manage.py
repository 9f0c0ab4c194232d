"""The ``fitwatch`` commands that look after many runs: ``tag``, ``note``, ``rename``, ``rm``, and what
``fitwatch runs`` adds for them (``--tag`` and the config columns).

``rm`` deletes everything of a run (its record, epochs, batch values, probes, tags and note), asks
first on a terminal (``--yes`` skips the question; with no terminal to ask on, ``--yes`` is
required) and never deletes a run whose process is still writing it. ``rename`` refuses a name
another run has, unless ``--share`` (a name opens the latest run of it, so sharing one hides the
older run from ``fitwatch show NAME``; its id still opens it). A deleted run's id is never reused.
"""

from __future__ import annotations

import sys

from fitwatch.cli.commands import UserError, open_store
from fitwatch.store.base import run_not_found
from fitwatch.store.configs import flat_config, varying_keys
from fitwatch.store.status import refuse_a_writer

#: ``fitwatch runs`` shows at most this many varying config keys on its own (``--config`` chooses)
MOST_CONFIG_COLUMNS = 4


_RUN_HELP = "a run's name (the latest run of that name) or its id"


def _one_run_command(sub, common, name: str, func, help: str, description: str):
    """A subcommand that acts on one run (its first argument, RUN)."""
    p = sub.add_parser(name, parents=[common], help=help, description=description)
    p.add_argument("run", metavar="RUN", help=_RUN_HELP)
    p.set_defaults(func=func)
    return p


def add_parsers(sub, common) -> None:
    """Declare ``tag``, ``note``, ``rename`` and ``rm`` on the ``fitwatch`` parser's subcommands."""
    p = _one_run_command(sub, common, "tag", cmd_tag, "add tags to a run (or take them off)",
                         "Tag a run: `fitwatch runs --tag TAG` lists the runs that have a tag.")
    p.add_argument("tags", metavar="TAG", nargs="+", help="one word each, e.g. baseline lr-sweep")
    p.add_argument("--remove", action="store_true", help="take the tags off instead")
    p = _one_run_command(sub, common, "note", cmd_note, "write a note on a run (shown by fitwatch show)",
                         "Set a run's note, print it (no TEXT), or remove it (--clear).")
    p.add_argument("text", metavar="TEXT", nargs="?", help='the note, quoted: "lr too high, diverged at 3"')
    p.add_argument("--clear", action="store_true", help="remove the note")
    p = _one_run_command(sub, common, "rename", cmd_rename, "rename a run",
                         "Give a run a new name; its id, epochs, tags and note stay.")
    p.add_argument("new", metavar="NEW", help="the new name")
    p.add_argument("--share", action="store_true",
                   help="allow a name another run has (the name then opens the latest run of it)")
    p = sub.add_parser("rm", parents=[common], help="delete runs (asks first)",
                       description="Delete runs and everything of them: epochs, batch values, probes, tags, "
                                   "note. Asks for each on a terminal; a running run is never deleted.")
    p.add_argument("runs", metavar="RUN", nargs="+", help="run names (the latest run of each name) or ids")
    p.add_argument("-y", "--yes", action="store_true", help="delete without asking")
    p.add_argument("--force", action="store_true",
                   help="also delete a run recorded as running on another host (its process cannot be checked)")
    p.set_defaults(func=cmd_rm)


def find(store, ref) -> dict:
    """The record of run ``ref`` (a name: the latest of it; or an id), else a UserError naming the latest runs."""
    run = store.find_run(ref)
    if run is None:
        latest = [r["name"] for r in reversed(store.runs()[-5:])]
        raise UserError(run_not_found(ref, store.path, latest).args[0])
    return run


def _changing(fn, *args, **kw):
    """Call a store's change; what the user can fix (a bad tag, a taken name, a live run) is one line."""
    try:
        return fn(*args, **kw)
    except (ValueError, RuntimeError, KeyError) as e:
        raise UserError(str(e.args[0] if e.args else e).removeprefix("fitwatch: ")) from None


def cmd_tag(args) -> int:
    store = open_store(args.dir)
    try:
        run = find(store, args.run)
        change = {"remove": args.tags} if args.remove else {"add": args.tags}
        tags = _changing(store.set_tags, run["id"], **change)
    finally:
        store.close()
    print(f"{run['name']} (#{run['id']}): tags {' '.join(tags) if tags else '(none)'}")
    return 0


def cmd_note(args) -> int:
    if args.clear and args.text is not None:
        raise UserError("fitwatch note: give TEXT or --clear, not both")
    store = open_store(args.dir)
    try:
        run = find(store, args.run)
        if args.text is None and not args.clear:
            note = (store.labels([run["id"]]).get(run["id"]) or {}).get("note")
            print(note if note is not None else f"{run['name']} (#{run['id']}) has no note; "
                                                 f'fitwatch note {args.run} "TEXT" writes one')
            return 0
        _changing(store.set_note, run["id"], None if args.clear else args.text)
    finally:
        store.close()
    print(f"{run['name']} (#{run['id']}): note " + ("removed" if args.clear or not args.text else repr(args.text)))
    return 0


def cmd_rename(args) -> int:
    store = open_store(args.dir)
    try:
        run = find(store, args.run)
        try:
            store.rename_run(run["id"], args.new, share=args.share)
        except ValueError as e:
            msg = str(e).removeprefix("fitwatch: ")
            raise UserError(msg.replace("or share it", "or pass --share to share it")) from None
    finally:
        store.close()
    print(f"renamed run #{run['id']}: {run['name']!r} -> {args.new!r}")
    return 0


def cmd_rm(args) -> int:
    store = open_store(args.dir)
    try:
        runs = list({r["id"]: r for r in (find(store, ref) for ref in args.runs)}.values())
        for run in runs:  # every run is checked before any is deleted
            _changing(refuse_a_writer, run, args.force)
        if not args.yes and not sys.stdin.isatty():
            raise UserError("fitwatch rm: no terminal to ask on; pass --yes to delete without asking")
        epochs = {r["id"]: r.get("epochs") or 0 for r in store.runs()}
        for run in runs:
            what = f"run {run['name']!r} ({epochs.get(run['id'], 0)} epochs)"
            if not args.yes and not _confirm(f"Delete {what}? [y/N] "):
                print(f"kept {what}")
                continue
            _changing(store.delete_run, run["id"], force=args.force)
            print(f"deleted {what}, #{run['id']}")
    finally:
        store.close()
    return 0


def _confirm(question: str) -> bool:
    try:
        answer = input(question)
    except EOFError:
        print()
        return False
    return answer.strip().lower() in ("y", "yes")


# -- fitwatch runs: --tag and the config columns ------------------------------------------------------
def list_runs(args) -> int:
    """``fitwatch runs``: the runs (those tagged ``--tag`` only), with config columns and tags."""
    from fitwatch.show import tables
    from fitwatch.show.logfile import head_bests

    tag, wanted = getattr(args, "tag", None), getattr(args, "config", None)
    store = open_store(args.dir)
    try:
        runs = store.labelled_runs(tag=tag)
        every = sorted({t for r in store.labelled_runs() for t in r["tags"]}) if tag and not runs else []
        for r in runs:
            r["heads"] = head_bests(store, r)
    finally:
        store.close()
    if tag and not runs:
        raise UserError(f"no run is tagged {tag!r} in {store.path}; "
                        + (f"tags there: {', '.join(every)}" if every else "no run has a tag yet: fitwatch tag RUN TAG"))
    if args.json:
        import json

        print(json.dumps(tables.runs_summary(runs), indent=2))
        return 0
    console = tables.make_console()
    keys = config_columns(runs, wanted, console)
    tables.print_runs(runs, console, store_path=store.path, config_keys=keys)
    return 0


def config_columns(runs: list[dict], wanted: str | None, console) -> list[str]:
    """The config keys ``fitwatch runs`` shows: ``--config a,b`` as given (each must be a key of a
    listed run), else the keys that vary across the runs, as many as fit the terminal (at most
    :data:`MOST_CONFIG_COLUMNS`; into a file or a pipe, that many)."""
    from fitwatch.show.tables import runs_table

    if wanted is not None:
        keys = [k.strip() for k in wanted.split(",") if k.strip()]
        known = {k for r in runs for k in flat_config(r.get("config"))}
        unknown = [k for k in keys if k not in known]
        if unknown and runs:
            raise UserError(f"no listed run has the config key {unknown[0]!r}; keys: "
                            + (", ".join(sorted(known)[:15]) or "(no run has a config)"))
        return keys
    keys = varying_keys(runs)[:MOST_CONFIG_COLUMNS]
    if not console.is_terminal:
        return keys
    chosen: list[str] = []
    unbounded = console.options.update_width(100_000)  # the table's own width, not the terminal's
    for k in keys:  # a column only while the whole table still fits the terminal
        if console.measure(runs_table(runs, config_keys=[*chosen, k]), options=unbounded).maximum > console.width:
            break
        chosen.append(k)
    return chosen
