"""Validated configuration: ``from config import load_settings``."""

from config.clock import Clock
from config.settings import Settings, SettingsError, load_settings

__all__ = ["Clock", "Settings", "SettingsError", "load_settings"]
