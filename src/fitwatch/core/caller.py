"""Which line a warning should name: the user's, not fitwatch's (nor the framework's in between).

Example:
    >>> import warnings
    >>> from fitwatch.caller import user_stacklevel
    >>> def deep_in_fitwatch():  # stands for a fitwatch function that warns
    ...     warnings.warn("fitwatch: something", UserWarning, stacklevel=user_stacklevel())
    >>> user_stacklevel() >= 1
    True
"""

from __future__ import annotations

import sys

#: top-level packages whose frames are never "the user's line" (a Keras fit calls fitwatch's
#: callback from inside keras: the user's line is their ``model.fit(...)``)
_LIBRARIES = frozenset({"fitwatch", "keras"})


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes ``warnings.warn``, called by the caller of this function, name
    the first frame outside fitwatch and Keras: the user's loop, ``log`` call or ``model.fit``."""
    frame = sys._getframe(1)  # the function that is about to warn (stacklevel 1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] in _LIBRARIES:
        frame = frame.f_back
        level += 1
    return level
