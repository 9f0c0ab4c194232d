"""The SQLite store's schema (:mod:`fitwatch.store.sqlite`): its tables, version and file mark.

Version 1: runs, epochs, steps (batch chunks). Version 2 adds ``probes`` (``Run.watch``): one row per
sampled step, layer and statistic. A store of an older version is read as it is and upgraded by the
first process that writes to it.

The ``tags`` and ``notes`` tables (``Run(tags=..., note=...)``, ``fitwatch tag``, ``fitwatch note``) are
optional: they are part of a new store's schema, and a store without them (any version-2 store
written before they existed) gains them, in the same transaction, the first time a run is tagged or
noted (:data:`LABELS_SCHEMA`). Adding them does not change the version: a fitwatch that does not know
them reads and writes the store as before, so an older install keeps working on a store with tags.
"""

SCHEMA_VERSION = 2  # 2: the probes table (Run.watch); a version-1 store is upgraded by its first writer
APPLICATION_ID = 0x46495457  # "FITW", in the SQLite header: this file is a fitwatch store

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    info TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    started_at REAL NOT NULL,
    ended_at REAL,
    updated_at REAL,
    pid INTEGER,
    host TEXT
);
CREATE INDEX IF NOT EXISTS runs_name ON runs (name);
CREATE TABLE IF NOT EXISTS epochs (
    run_id INTEGER NOT NULL,
    split TEXT NOT NULL,
    metric TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    value REAL,
    n INTEGER,
    t REAL,
    PRIMARY KEY (run_id, epoch, split, metric)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS steps (
    run_id INTEGER NOT NULL,
    split TEXT NOT NULL,
    metric TEXT NOT NULL,
    first_step INTEGER NOT NULL,
    last_step INTEGER NOT NULL,
    count INTEGER NOT NULL,
    steps BLOB NOT NULL,
    epochs BLOB NOT NULL,
    vals BLOB NOT NULL,
    ns BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS steps_run ON steps (run_id, first_step);
CREATE TABLE IF NOT EXISTS probes (
    run_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    step INTEGER NOT NULL,
    layer TEXT NOT NULL,
    stat TEXT NOT NULL,
    value REAL
);
CREATE INDEX IF NOT EXISTS probes_run ON probes (run_id, step);
"""

#: the optional tables of tags and notes, one statement a line (created when first written, see above)
LABELS_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS tags (run_id INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (run_id, tag)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS tags_tag ON tags (tag)",
    "CREATE TABLE IF NOT EXISTS notes (run_id INTEGER PRIMARY KEY, note TEXT NOT NULL)",
)
SCHEMA += "".join(f"{statement};\n" for statement in LABELS_SCHEMA)
