"""Keep a translation catalogue in step with the code.

    python scripts/i18n.py update core            # extract, then create/update zh (Simplified Chinese, found for zh_CN) and en .po
    python scripts/i18n.py missing plugins/fees   # list msgids without a Chinese translation
    python scripts/i18n.py fill core FILE.json    # set Chinese translations from {"msgid": "译文"}

Each of core/ and plugins/<name>/ has its own translations/ folder; `make` compiles them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _po(folder: Path, locale: str) -> Path:
    return folder / "translations" / locale / "LC_MESSAGES" / "messages.po"


def update(folder: Path) -> None:
    pot = folder / "translations" / "messages.pot"
    pot.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([BIN / "pybabel", "extract", "-F", ROOT / "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
                    "--no-location", "--sort-output", "-o", pot, folder], check=True)
    for locale in ("zh", "en"):
        cmd = "update" if _po(folder, locale).exists() else "init"
        # unwrapped like `fill` writes, so the two never rewrap each other's lines (quiet diffs and merges)
        subprocess.run([BIN / "pybabel", cmd, "-i", pot, "-d", folder / "translations", "-l", locale, "--no-wrap",
                        *(["--no-fuzzy-matching"] if cmd == "update" else [])], check=True)
    pot.unlink()


def missing(folder: Path) -> list[str]:
    with _po(folder, "zh").open("rb") as fh:
        catalog = read_po(fh)
    # a plural entry's translation is a tuple of forms: ('',) is untranslated though not empty
    return [m.id if isinstance(m.id, str) else m.id[0] for m in catalog
            if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]


def fill(folder: Path, mapping: dict[str, str]) -> None:
    path = _po(folder, "zh")
    with path.open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in mapping:
            # Chinese has one plural form: a plural entry takes the one translation as its only form
            message.string = (mapping[key],) if isinstance(message.id, tuple) else mapping[key]
            message.flags.discard("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False)


def main(argv: list[str]) -> int:
    cmd, folder = argv[0], ROOT / argv[1]
    if cmd == "update":
        update(folder)
    elif cmd == "missing":
        todo = missing(folder)
        print("\n".join(todo) or "all translated")
        return 1 if todo else 0
    elif cmd == "fill":
        fill(folder, json.loads(Path(argv[2]).read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
