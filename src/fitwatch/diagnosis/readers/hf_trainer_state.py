"""Hugging Face ``Trainer``'s ``trainer_state.json`` (``{"log_history": [...], ...}``), and
LLaMA-Factory's ``trainer_log.jsonl`` that logs the same rows one per line.

``log_history`` holds training rows at logging steps (``{"epoch": 0.27, "step": 50, "loss": 0.69,
"learning_rate": 5e-05, "grad_norm": 1.3}``, the epoch fractional), evaluation rows
(``{"epoch": 1.0, "step": 186, "eval_loss": 0.41, "eval_accuracy": 0.83, "eval_runtime": ...}``) and
a closing summary (``train_runtime``, ``train_loss``: left out). They are read into one point per
evaluation, the training loss the mean of the rows logged since the one before, as
:func:`~fitwatch.diagnosis.readers.log_history.from_log_history` says.

LLaMA-Factory's ``trainer_log.jsonl`` (``{"current_steps": 10, "total_steps": 6750, "loss": 2.2,
"lr": 1.3e-06, "epoch": 0.0044, "percentage": 0.15, "elapsed_time": "0:00:32", "remaining_time":
"6:01:13"}`` per line, ``eval_loss`` in the rows of an evaluation) is read the same way, its
``current_steps`` the step and its ``lr`` the learning rate; its bookkeeping (``total_steps``,
``percentage``, ``elapsed_time``, ``remaining_time``) is left out.

Example:
    >>> doc = {"log_history": [{"epoch": 1.0, "step": 10, "loss": 0.7}, {"epoch": 1.0, "step": 10, "eval_loss": 0.8}]}
    >>> [(_, c)] = parse_trainer_state(doc, "trainer_state.json", "trainer_state.json")
    >>> c.epochs.tolist(), c.loss.tolist(), c.val_loss.tolist()
    ([0], [0.7], [0.8])
    >>> text = ('{"current_steps": 5, "total_steps": 10, "loss": 0.75, "lr": 1e-4, "epoch": 0.5, "percentage": 50.0}\\n'
    ...         '{"current_steps": 10, "total_steps": 10, "loss": 0.25, "lr": 9e-5, "epoch": 1.0, "percentage": 100.0}\\n'
    ...         '{"current_steps": 10, "total_steps": 10, "eval_loss": 0.6, "epoch": 1.0, "percentage": 100.0}\\n')
    >>> rows, notes = trainer_log_rows(text, "trainer_log.jsonl")
    >>> [(_, c)] = parse_trainer_log(rows, notes, "trainer_log.jsonl", "trainer_log.jsonl")
    >>> c.epochs.tolist(), c.loss.tolist(), c.val_loss.tolist(), c.series["lr"].tolist()
    ([0], [0.5], [0.6], [9e-05])
"""

from __future__ import annotations

import json

from fitwatch.diagnosis.readers.columns import MAX_LOG_LINES, ReadError, check_lines
from fitwatch.diagnosis.readers.log_history import from_log_history

_FIX = "set logging_steps and eval_strategy in TrainingArguments"


def is_trainer_state(doc) -> bool:
    """Whether a parsed JSON document is a ``trainer_state.json``."""
    return isinstance(doc, dict) and isinstance(doc.get("log_history"), list)


def parse_trainer_state(doc: dict, label: str, source: str) -> list[tuple]:
    """The run of a ``trainer_state.json`` (parsed): ``[(None, Curves)]``."""
    if len(doc["log_history"]) > MAX_LOG_LINES:
        raise ReadError(f"{label}: a log_history of {len(doc['log_history']):,} rows, more than the {MAX_LOG_LINES:,} "
                        f"fitwatch reads; set a larger logging_steps, or read another checkpoint's file")
    return from_log_history(doc["log_history"], label, source, what="a trainer_state.json whose log_history",
                            fix=f"{_FIX}, or read another checkpoint's file")


#: LLaMA-Factory's bookkeeping in each row, and its spellings of the Trainer's keys
_TRAINER_LOG_SKIPPED = ("total_steps", "percentage", "elapsed_time", "remaining_time")
_TRAINER_LOG_KEYS = {"current_steps": "step", "lr": "learning_rate"}


def trainer_log_rows(text: str, label: str) -> tuple[list[dict], list[str]] | None:
    """The rows of LLaMA-Factory's ``trainer_log.jsonl`` in ``text`` as ``log_history`` rows (the
    step in ``step``, the learning rate in ``learning_rate``, its bookkeeping left out) and notes;
    None when ``text`` is not one (every line an object with ``current_steps`` and ``total_steps``;
    a last line cut in the middle is dropped with a note)."""
    check_lines(text, label)
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    rows, notes = [], []
    for j, (lineno, ln) in enumerate(lines):
        try:
            obj = json.loads(ln)
        except (ValueError, RecursionError):
            if j == len(lines) - 1 and rows:  # the writer was killed in the middle of its last line
                notes.append(f"dropped the incomplete last line {lineno}")
                continue
            return None
        if not (isinstance(obj, dict) and "current_steps" in obj and "total_steps" in obj):
            return None
        rows.append({_TRAINER_LOG_KEYS.get(k, k): v for k, v in obj.items() if k not in _TRAINER_LOG_SKIPPED})
    return (rows, notes) if rows else None


def parse_trainer_log(rows: list[dict], notes: list[str], label: str, source: str) -> list[tuple]:
    """The run of LLaMA-Factory's ``trainer_log.jsonl`` (its rows by :func:`trainer_log_rows`)."""
    runs = from_log_history(rows, label, source, what="a LLaMA-Factory trainer_log.jsonl", fix=_FIX)
    for _, c in runs:
        c.notes[:0] = ["read as LLaMA-Factory's trainer_log.jsonl: one point per evaluation", *notes]
    return runs
