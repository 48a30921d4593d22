"""Every visible string has a Vietnamese translation with the same placeholders, and ``tr()`` is
only ever given a literal (translate first, format after)."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from station_app import i18n
from station_app.i18n import catalogue, translate
from station_app.resources import I18N

PACKAGE = Path(__file__).resolve().parent.parent / "station_app"
# ``vi(…)`` and ``translate(…)`` give texts that are stored in the station's language (follow-up
# labels, for instance), so they need a translation as much as what is shown.
MARKERS = ("tr", "N_", "vi", "translate")


def source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def marker_calls(tree: ast.AST) -> list[ast.Call]:
    """Calls to ``tr(…)``/``N_(…)``/``vi(…)``/``translate(…)`` (also as ``i18n.tr(…)``); Qt's
    ``self.tr`` is not ours."""
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        if (isinstance(func, ast.Name) and func.id in MARKERS) or (
            isinstance(func, ast.Attribute)
            and func.attr in MARKERS
            and isinstance(func.value, ast.Name)
            and func.value.id == "i18n"
        ):
            calls.append(node)
    return calls


def marked_strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (call.lineno, call.args[0].value)
        for call in marker_calls(tree)
        if isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
    ]


def placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_the_walk_finds_the_strings():
    found = {text for path in source_files() for _, text in marked_strings(path)}
    assert "Full name" in found  # N_ in a table
    assert "Error: {message}" in found  # tr in the CLI
    assert "There is no database at {path}." in found  # message = N_(…) on an error class
    assert len(found) > 100


@pytest.mark.parametrize("path", source_files(), ids=rel)
def test_every_marked_string_has_a_vietnamese_translation(path):
    vietnamese = catalogue("vi")
    missing = [
        f"{rel(path)}:{line}: {text!r}"
        for line, text in marked_strings(path)
        if (None, text) not in vietnamese
    ]
    assert not missing, "no Vietnamese translation:\n" + "\n".join(missing)


@pytest.mark.parametrize("path", source_files(), ids=rel)
def test_translations_keep_the_placeholders(path):
    wrong = []
    for line, text in marked_strings(path):
        target = translate(text, "vi")
        if placeholders(target) != placeholders(text):
            wrong.append(f"{rel(path)}:{line}: {text!r} -> {target!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def po_files() -> list[Path]:
    return sorted((I18N / "vi").glob("*.po"))


@pytest.mark.parametrize("path", po_files(), ids=lambda p: p.name)
def test_catalogue_entries_keep_their_placeholders_and_braces(path):
    with path.open("rb") as fh:
        po = read_po(fh)
    wrong = []
    for message in po:
        if not message.id or not message.string:
            continue
        try:
            same = placeholders(message.string) == placeholders(message.id)
        except ValueError as exc:  # a lone "{" or "}" breaks .format() at run time
            same = False
            message.string = f"{message.string} ({exc})"
        if not same:
            wrong.append(f"{message.id!r} -> {message.string!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_no_string_is_translated_two_ways():
    seen: dict[tuple[str | None, str], tuple[str, str]] = {}
    conflicts = []
    for path in po_files():
        with path.open("rb") as fh:
            for message in read_po(fh):
                if not message.id or not message.string:
                    continue
                key = (message.context, message.id)
                if key in seen and seen[key][1] != message.string:
                    conflicts.append(
                        f"{message.id!r}: {seen[key]} vs {(path.name, message.string)}"
                    )
                seen.setdefault(key, (path.name, message.string))
    assert not conflicts, "\n".join(conflicts)


def formatted_before_translation(node: ast.expr) -> bool:
    """An f-string, a concatenation/% of strings, or a ``.format()`` call: not a catalogue key."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "format_map", "join")
    )


@pytest.mark.parametrize("path", source_files(), ids=rel)
def test_tr_is_never_given_an_f_string_or_a_concatenation(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    wrong = [
        f"{rel(path)}:{call.lineno}: {ast.unparse(call)}"
        for call in marker_calls(tree)
        if formatted_before_translation(call.args[0])
    ]
    assert not wrong, "format after translating, never before:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ('tr(f"{n} patients")', True),
        ('tr("Row " + str(n))', True),
        ('tr("%d rows" % n)', True),
        ('tr("{n} rows".format(n=n))', True),
        ('i18n.tr(f"{n}")', True),
        ('tr("{n} rows").format(n=n)', False),
        ("tr(exc.message)", False),
        ('N_("Male")', False),
    ],
)
def test_the_checker_itself(source, bad):
    (call,) = marker_calls(ast.parse(source))
    assert formatted_before_translation(call.args[0]) is bad


def test_vietnamese_is_the_default_language():
    assert i18n.DEFAULT_LANGUAGE == "vi"
    assert translate("Full name") == "Họ và tên"
    assert translate("Full name", "en") == "Full name"


def test_one_spelling_of_ly_do() -> None:
    """"lý do" (reason) is spelled one way in every Vietnamese text of the program (the printed
    referral form keeps the wording of its regulation, which is data)."""
    texts = [message.string for message in _all_vi_messages()]
    assert not [t for t in texts if "lí do" in t.lower()]
    assert [t for t in texts if "lý do" in t.lower()]


def _all_vi_messages():
    from pathlib import Path

    folder = Path(__file__).parent.parent / "resources" / "i18n" / "vi"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and isinstance(message.string, str):
                    yield message
