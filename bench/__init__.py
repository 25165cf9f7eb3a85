"""Benchmarks of the demo county: seeding, database size, and every page's render time.

Run with ``python -m bench`` (``make bench``); it is not part of ``make test``.
"""
