"""A deterministic demo county: ``seed_demo(engine, settings=…, scale=…, seed=…, as_of=…)``."""

from data_access.demo.seeding import DemoSummary, seed_demo

__all__ = ["DemoSummary", "seed_demo"]
