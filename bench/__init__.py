"""Trạm's benchmark suite: ``uv run python -m bench`` (see ``BENCHMARKS.md``).

It builds (or, with ``--reuse``, takes from ``bench-data/``) a demo station of 100,000 patients and
about 1,000,000 visits and measures what a station feels: the app's cold start, search, the
registry, the follow-up work list, the referral slip, the visit book, reports, backup and import.
Measurements live in ``bench/*.py``, each registered with ``bench.core.bench``.
"""
