"""Qt's side of translation: our catalogue as a ``QTranslator``, the locale, number formats.

Qt ships no Vietnamese for its own buttons and dialogs; the translator answers Qt's lookups
(context + source text) from the same .po catalogue as the rest of the app, where Qt's strings
carry their Qt context as ``msgctxt``.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from station_app import i18n


class CatalogueTranslator(QTranslator):
    def translate(self, context: str, source: str, disambiguation: str | None = None, n: int = -1) -> str | None:
        # None (a null QString) tells Qt "not here" so it keeps its own text; an empty string
        # would replace the text with nothing (e.g. the "Ctrl" of shortcut labels).
        if i18n.language() == "en" or not source:
            return None
        table = i18n.catalogue(i18n.language())
        found = table.get((context, source))
        if found is None:
            # Accelerator-free variant ("&Yes" → "Yes")
            found = table.get((context, source.replace("&", "")))
        return found or None

    def isEmpty(self) -> bool:
        return False


_translator: CatalogueTranslator | None = None


def install(app: QCoreApplication, lang: str) -> None:
    """Set the app's language: our catalogue for all strings, the locale for dates and numbers."""
    global _translator
    i18n.set_language(lang)
    if _translator is None:
        _translator = CatalogueTranslator(app)
        app.installTranslator(_translator)
    else:
        # Re-installing makes Qt send LanguageChange events to every widget.
        app.removeTranslator(_translator)
        app.installTranslator(_translator)
    QLocale.setDefault(locale())


def locale() -> QLocale:
    if i18n.language() == "vi":
        return QLocale(QLocale.Language.Vietnamese, QLocale.Country.Vietnam)
    return QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)


def fmt_int(value: int) -> str:
    """Numbers with the language's separators (Vietnamese: 100.000)."""
    return locale().toString(int(value))


def fmt_float(value: float, decimals: int = 1) -> str:
    return locale().toString(float(value), "f", decimals)


def fmt_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def fmt_datetime(value: dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else ""
