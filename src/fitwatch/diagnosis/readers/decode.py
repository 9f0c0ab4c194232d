"""A log file's bytes as text: gunzipped by chunks up to :data:`MAX_LOG_BYTES`, UTF-8 (with or
without a BOM), UTF-16 with a BOM, or Latin-1 when it reads as text; binary data is refused in one
line naming the byte. Shared by every reader of files (not a format of its own).

Example:
    >>> import gzip
    >>> decode(gzip.compress(b"epoch,loss\\n0,1.5\\n"), "log.csv.gz").splitlines()
    ['epoch,loss', '0,1.5']
"""

from __future__ import annotations

import zlib
from pathlib import Path

from fitwatch.diagnosis.readers.columns import ReadError

#: the most a log file may hold (a ``.gz`` one once uncompressed): 128 MiB
MAX_LOG_BYTES = 128 * 2**20


def in_words(n: int) -> str:
    """``n`` bytes in words: ``128 MiB``, ``4,096 bytes``."""
    return f"{n / 2**20:,.0f} MiB" if n >= 2**20 else f"{n:,} bytes"


def too_big(label: str, found: str) -> str:
    """The one-line error for a log file over :data:`MAX_LOG_BYTES` (``found``: its size in words)."""
    return (f"{label}: {found}, more than the {in_words(MAX_LOG_BYTES)} fitwatch reads from a log file; keep one "
            f"row per epoch (or per evaluation), or cut the log into files")


def _gunzip(raw: bytes, label: str) -> bytes:
    """A gzip file's content (every member), uncompressed by chunks: past :data:`MAX_LOG_BYTES`, a
    ReadError (a gzip bomb stops there, not at the end of memory)."""
    out, size, data = [], 0, raw
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)  # one gzip member
        try:
            while True:
                chunk = d.decompress(data, 2**24)
                size += len(chunk)
                if size > MAX_LOG_BYTES:
                    raise ReadError(too_big(label, f"over {in_words(MAX_LOG_BYTES)} uncompressed"))
                out.append(chunk)
                data = d.unconsumed_tail
                if d.eof or not data and not chunk:
                    break
        except zlib.error as e:
            raise ReadError(f"{label}: a damaged gzip file ({e}); gunzip it or write the log again") from None
        if not d.eof:
            raise ReadError(f"{label}: a damaged gzip file (Compressed file ended before the end-of-stream marker "
                            f"was reached); gunzip it or write the log again")
        data = d.unused_data.lstrip(b"\x00")  # another member, after any padding (as gzip.decompress reads)
        if data and data[:2] != b"\x1f\x8b":
            raise ReadError(f"{label}: a damaged gzip file (bytes after its end that are not another gzip member); "
                            f"gunzip it or write the log again")
    return b"".join(out)


def read_text(path: Path) -> str:
    """The text of the log file ``path`` (:func:`decode`), refused unread past :data:`MAX_LOG_BYTES`;
    a file that cannot be read is one line naming it (and a link to a file that is gone, so)."""
    label = path.name
    try:
        size = path.stat().st_size
        if size > MAX_LOG_BYTES:
            raise ReadError(too_big(label, in_words(size)))
        raw = path.read_bytes()
    except OSError as e:
        dangling = path.is_symlink() and not path.exists()
        raise ReadError(f"{label}: cannot read ({e.strerror}{': a link to a file that is gone' if dangling else ''})") from None
    return decode(raw, label)


def decode(raw: bytes, label: str) -> str:
    """``raw`` as text (see the module's docstring), or a one-line :class:`ReadError` naming ``label``."""
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw, label)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a BOM (PowerShell's Out-File)
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in raw[:65536]:
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")  # a Windows-1252 or Latin-1 log
            controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\r\n" or 127 <= ord(ch) < 160)
            if controls <= len(text[:65536]) / 100:
                return text
    at = next((i for i, b in enumerate(raw[:65536]) if b < 9 or 13 < b < 32 and b != 27), 0)
    raise ReadError(f"{label}: binary data, not a text log (byte {at}); expected a CSV, JSON lines, "
                    f"a .gz of one, or a TensorBoard event file (events.out.tfevents.*)")
