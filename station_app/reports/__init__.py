"""Reports and exports built from the store, headless (no Qt): lists written as CSV or XLSX and,
with ``station_app.printing``, as printed PDFs."""
