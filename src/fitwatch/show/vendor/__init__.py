"""Third-party files fitwatch ships: plotly.js's *basic* bundle, which the dashboard serves and the
HTML report and notebook views embed (no CDN, no network, no plotly package needed).

``plotly-basic.min.js`` is plotly.js 4.1.1's basic bundle from npm (MIT, ``plotly-basic.LICENSE.txt``
beside it): scatter, bar and pie, all fitwatch draws. It is 1.2 MB instead of the full bundle's
4.8 MB, which a fresh browser on a 2-CPU laptop takes about 1.3 s to load and start (the basic one
about 0.25 s; ``benchmarks/dashboard.py``).

Example:
    >>> from fitwatch.show.vendor import PLOTLY_BASIC, plotly_basic_js
    >>> PLOTLY_BASIC.name, plotly_basic_js().startswith("/**")
    ('plotly-basic.min.js', True)
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PLOTLY_BASIC", "PLOTLY_VERSION", "plotly_basic_js"]

PLOTLY_BASIC = Path(__file__).with_name("plotly-basic.min.js")
PLOTLY_VERSION = "4.1.1"


def plotly_basic_js() -> str:
    """The text of plotly.js's basic bundle."""
    return PLOTLY_BASIC.read_text(encoding="utf-8")
