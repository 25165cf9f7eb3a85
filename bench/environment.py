"""The settings file the benchmark runs with: the project's own, with ``today`` fixed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = PROJECT_ROOT / "config" / "settings.toml"
_UNSET_TODAY = 'today = ""'


class SettingsTemplateError(RuntimeError):
    """config/settings.toml no longer has the line the benchmark replaces."""


def write_settings(path: Path, *, today: date) -> Path:
    """Copy config/settings.toml to ``path`` with ``[app] today`` set, so countdowns and the
    default month match the data instead of the wall clock. Returns ``path``.

    Raises SettingsTemplateError when the template has no single ``today = ""`` line.
    """
    text = SETTINGS_FILE.read_text(encoding="utf-8")
    if text.count(_UNSET_TODAY) != 1:
        raise SettingsTemplateError(
            f"expected exactly one line {_UNSET_TODAY!r} in {SETTINGS_FILE}"
        )
    path.write_text(text.replace(_UNSET_TODAY, f'today = "{today.isoformat()}"'), encoding="utf-8")
    return path
