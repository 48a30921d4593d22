"""Translation: one gettext catalogue (``resources/i18n/vi.po``) for the UI, the CLI and the PDFs.

Source strings are English; Vietnamese is the default language. Rules (checked by tests):
whole sentences, named placeholders (``{count}``), translate first and format after::

    tr("{count} patients").format(count=n)      # right
    tr(f"{n} patients")                          # wrong: cannot be in the catalogue

``N_()`` marks a string for the catalogue without translating it (for tables defined at import
time); translate it later with ``tr()``. Qt's own strings (button boxes, file and print dialogs)
are looked up in the same catalogue with their Qt context as ``msgctxt``.
"""

from __future__ import annotations

from functools import cache

from babel.messages.pofile import read_po

from station_app.resources import I18N

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

_language = DEFAULT_LANGUAGE


def set_language(code: str) -> None:
    global _language
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}")
    _language = code


def language() -> str:
    return _language


@cache
def catalogue(code: str) -> dict[tuple[str | None, str], str]:
    """``{(context, source): translation}`` for a language; empty for English."""
    table: dict[tuple[str | None, str], str] = {}
    if code == "en":
        return table
    for path in sorted((I18N / code).glob("*.po")):
        with path.open("rb") as fh:
            po = read_po(fh)
        for message in po:
            if not message.id or not message.string or message.fuzzy:
                continue
            source = message.id if isinstance(message.id, str) else message.id[0]
            target = message.string if isinstance(message.string, str) else message.string[0]
            table[(message.context, source)] = target
    return table


def translate(source: str, lang: str | None = None, context: str | None = None) -> str:
    """``source`` in ``lang`` (the current language when omitted); the source if untranslated."""
    code = lang or _language
    if code == "en":
        return source
    return catalogue(code).get((context, source), source)


def tr(source: str) -> str:
    """Translate a UI/CLI string into the current language."""
    return translate(source)


def N_(source: str) -> str:
    """Mark ``source`` for the catalogue; translate it later with ``tr``."""
    return source


def has_translation(source: str, lang: str = "vi", context: str | None = None) -> bool:
    return (context, source) in catalogue(lang)
