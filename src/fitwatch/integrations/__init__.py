"""Framework integrations, one module per framework (``keras``), each importing its framework and
mapping the framework's events onto :class:`fitwatch.Run` and :mod:`fitwatch.stopping`; they are
independent of each other and reached lazily (``fitwatch.keras``)."""
