"""A rich progress bar over epochs that shows the latest epoch's loss and val_loss."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

#: keys shown first on the bar, when present
_FIRST = ("loss", "val_loss", "accuracy", "val_accuracy")


def format_logs(logs: dict[str, float], limit: int = 4) -> str:
    """``loss 0.1234  val_loss 0.2345 ...``: the main values of an epoch, compactly."""
    keys = [k for k in _FIRST if k in logs] + [k for k in logs if k not in _FIRST]
    return "  ".join(f"{k} {logs[k]:.4g}" for k in keys[:limit])


class EpochBar:
    """A live bar: ``name ━━━━━━ 12/50 0:00:03 • 0:00:09  loss 0.21  val_loss 0.35``.

    Args:
        name: the run's name.
        total: the number of epochs.
        start: the first epoch (a resumed run starts later).
        console: where to draw (default: standard error).
    """

    def __init__(self, name: str, total: int, start: int = 0, console: Console | None = None):
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("•"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[logs]}"),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.task = self.progress.add_task(name, total=total, completed=start, logs="")

    def start(self) -> None:
        self.progress.start()

    def update(self, epoch: int, logs: dict[str, float]) -> None:
        self.progress.update(self.task, completed=epoch + 1, logs=format_logs(logs))

    def stop(self) -> None:
        self.progress.stop()
