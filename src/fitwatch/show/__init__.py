"""Showing runs: the terminal tables, matplotlib plots, the offline HTML report and the live dashboard,
with their shared style and smoothing; it imports :mod:`fitwatch.diagnosis`, :mod:`fitwatch.store`
and :mod:`fitwatch.core`, and matplotlib, plotly and Starlette inside the functions that need them."""
