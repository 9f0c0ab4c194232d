"""Keras 3 integration: ``model.fit(..., callbacks=[fitwatch.keras.Callback("name")])``, and
``fitwatch.keras.EarlyStopping(...)``, an early-stopping callback that restores the best weights.

Importing this module imports Keras (the rest of fitwatch never does). The implementation lives in
:mod:`fitwatch.integrations.keras`.
"""

from __future__ import annotations

from .integrations.keras import Callback, EarlyStopping

__all__ = ["Callback", "EarlyStopping"]
