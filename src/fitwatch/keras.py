"""Keras 3 integration: ``model.fit(..., callbacks=[fitwatch.keras.Callback("name")])``.

Importing this module imports Keras (the rest of fitwatch never does). The implementation lives in
:mod:`fitwatch.integrations.keras`.
"""

from __future__ import annotations

from .integrations.keras import Callback

__all__ = ["Callback"]
