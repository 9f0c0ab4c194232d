"""The report's small markup pieces, shared by its page, its sections and its charts: HTML escaping,
JSON safe inside a ``<script>`` element, the verdict badge and the status pill."""

from __future__ import annotations

import html
import json
import math

from fitwatch.show import style

__all__ = ["esc", "script_json", "verdict_badge", "status_pill"]


def esc(s) -> str:
    """``s`` as text in HTML: ``&``, ``<``, ``>`` and both quotes escaped.

    Example:
        >>> esc('<b title="x">&</b>')
        '&lt;b title=&quot;x&quot;&gt;&amp;&lt;/b&gt;'
    """
    return html.escape(str(s), quote=True)


def script_json(obj) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` as ``\\u`` escapes, NaN as null.

    Example:
        >>> script_json({"name": "</script><script>alert(1)</script>", "v": float("nan")})
        '{"name": "\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e", "v": null}'
    """
    text = json.dumps(_finite(obj), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _finite(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def verdict_badge(verdict: str | None) -> str:
    """The verdict as a coloured badge (``good fit``, ``overfitting``...); ``not judged yet`` for a run
    with no epoch (None)."""
    if verdict is None:
        return '<span class="badge verdict" style="background:#777">not judged yet</span>'
    color = style.VERDICT_COLORS.get(verdict, "#555")
    return f'<span class="badge verdict" style="background:{color}">{esc(verdict.replace("_", " "))}</span>'


def status_pill(status: str | None) -> str:
    """A run's status in its colour; nothing for a source that has none (a file)."""
    if not status:
        return ""
    return f'<span class="pill status" style="color:{style.STATUS_COLORS.get(status, "#555")}">{esc(status)}</span>'
