"""Where a report is written: a run's name made safe as a file name (:func:`safe_filename`), the
path that ``-o`` names (a file or a folder), and the file written whole or not at all."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

__all__ = ["safe_filename", "output_path", "write_file"]


def safe_filename(name: str) -> str:
    """``name`` as a file name: letters and digits of any script, ``.``, ``-`` and ``_``; every run
    of other characters (path separators, control and format characters, punctuation, emoji...)
    becomes one ``_``, and none is left at either end. At most 120 bytes of UTF-8. A name with
    nothing left becomes ``report-`` and a hash of the name, so that two such names never share a
    file.

    Example:
        >>> safe_filename("digits-mlp"), safe_filename("../a b/<c>"), safe_filename("résumé 日本語 🚀")
        ('digits-mlp', 'a_b_c', 'résumé_日本語')
        >>> safe_filename("***"), safe_filename("...")
        ('report-596f4162', 'report-ab5df625')
    """
    name = unicodedata.normalize("NFC", str(name))  # "é" as one letter, not "e" and an accent
    s = re.sub(r"[^\w.-]+", "_", name).strip("._-")
    s = s.encode()[:120].decode("utf-8", "ignore").rstrip("._-")  # never half a character
    if not s:
        return "report-" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return s


def output_path(output, label: str) -> Path:
    """The file to write: ``output``, or ``<label>.html`` (made safe) in it when it is a folder (one
    that exists, or a path ending in ``/``), or in the current folder when it is None.

    Example:
        >>> output_path("out/r.html", "a b").as_posix(), output_path("out/", "a b").as_posix()
        ('out/r.html', 'out/a_b.html')
    """
    name = safe_filename(label) + ".html"
    if output is None:
        return Path.cwd() / name
    path = Path(output)
    folder = path.is_dir() or str(output).endswith(("/", os.sep))
    return path / name if folder else path


def write_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (its folder created) through a temporary file renamed onto it, so
    that no one ever reads half a report.

    Raises:
        OSError: the file cannot be written; one line, the path and what to do.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise OSError(f"cannot write the report to {path}: {e.strerror or e}; choose another file with -o") from None
