"""Framework integrations, one module per framework (``keras``, ``lightning``, ``transformers``; a
framework's helper module beside it: ``keras_before``, ``lightning_stop``, ``transformers_logs``),
each importing its framework and mapping the framework's events onto :class:`fitwatch.Run` and
:mod:`fitwatch.stopping`; they are independent of each other and reached lazily (``fitwatch.keras``,
``fitwatch.lightning``, ``fitwatch.transformers``)."""
