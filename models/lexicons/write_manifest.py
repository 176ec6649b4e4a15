"""Write empathy_signals/lexicons/MANIFEST.json: the sha256 of every lexicon data file.

The package checks each lexicon file against this manifest when it reads it
(``empathy_signals.lexicons.read_data``), so a modified or corrupted install fails with an
error naming the file instead of scoring with altered lexicons. Run this after a deliberate
change to a lexicon file (``tests/test_lexicon_manifest.py`` fails until you do)::

    python models/lexicons/write_manifest.py [--check]

``--check`` writes nothing and exits 1 when the manifest is out of date.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

LEXICONS = Path(__file__).resolve().parents[2] / "empathy_signals" / "lexicons"
MANIFEST = LEXICONS / "MANIFEST.json"
#: Folders under lexicons/ that hold no data the package reads (licence texts).
SKIPPED = ("LICENSES",)


def data_files(root: Path = LEXICONS) -> dict[str, str]:
    """Relative path (``/``-separated) -> sha256 of every ``.txt``/``.tsv`` data file under ``root``."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and path.suffix in (".txt", ".tsv") and rel.parts[0] not in SKIPPED:
            out[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def render(files: dict[str, str]) -> str:
    return json.dumps({"algorithm": "sha256", "files": files}, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the manifest is out of date; write nothing")
    args = ap.parse_args(argv)
    text = render(data_files())
    current = MANIFEST.read_text(encoding="utf-8") if MANIFEST.is_file() else ""
    if args.check:
        if text != current:
            print(f"{MANIFEST} is out of date: run python models/lexicons/write_manifest.py", file=sys.stderr)
            return 1
        return 0
    MANIFEST.write_text(text, encoding="utf-8")
    print(f"wrote {MANIFEST} ({len(json.loads(text)['files'])} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
