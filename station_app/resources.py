"""Where the files shipped under ``resources/`` live (fonts, data tables, translations)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "resources"
DATA = ROOT / "data"
FONTS = ROOT / "fonts"
I18N = ROOT / "i18n"


def data_file(name: str) -> Path:
    """Path of a versioned data table under ``resources/data``."""
    return DATA / name


def font_file(name: str) -> Path:
    """Path of a shipped font under ``resources/fonts``."""
    return FONTS / name
