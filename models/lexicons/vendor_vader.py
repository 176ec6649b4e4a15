"""Vendor the VADER valence lexicons (English and French) into ``empathy_signals/lexicons``.

Reproducible conversion of two MIT-licensed word lists into our ``valence.tsv`` format
(``word<TAB>valence``, -4..4, with a provenance header):

* English: ``vader_lexicon.txt`` of vaderSentiment 3.3.2 (C.J. Hutto), columns
  token, mean, std, ratings; only the token and the mean are kept.
* French: ``fr_lexicon.txt`` of vaderSentiment-fr 1.3.4 (O. Deprez, T. Ek), lines
  ``word->valence``; lines without ``->`` are skipped.

Changes to the sources, all listed in the header of each output file:

* bare "no", "nope", "non" are removed (a bare "non" answering the bot is not negative);
* nothing else: spelling, accents and duplicates are kept as in the source; the package
  loader folds keys (:func:`empathy_signals.text.fold`) and averages keys that fold alike.

Usage (from the repository root)::

    python models/lexicons/vendor_vader.py --vader /tmp/dl/vader/vaderSentiment \
        --vader-fr /tmp/dl/vaderSentiment_fr-1.3.4

The SHA-256 of each source file is written into the header.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "empathy_signals" / "lexicons"
#: Entries removed from both sources (see the module docstring).
REMOVED = frozenset({"no", "nope", "non"})


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write(path: Path, header: list[str], rows: list[tuple[str, float]]) -> None:
    lines = [f"# {h}" for h in header]
    lines += [f"{word}\t{valence:g}" for word, valence in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vader", type=Path, required=True, help="folder holding vader_lexicon.txt")
    parser.add_argument("--vader-fr", type=Path, required=True, help="unpacked vaderSentiment-fr sdist")
    args = parser.parse_args()

    en_src = args.vader / "vader_lexicon.txt"
    en_rows = []
    for line in en_src.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[0] and fields[0].lower() not in REMOVED:
            en_rows.append((fields[0], float(fields[1])))
    _write(
        OUT / "en" / "valence.tsv",
        [
            "source: vaderSentiment 3.3.2, vader_lexicon.txt (https://github.com/cjhutto/vaderSentiment)",
            "licence: MIT (see LICENSES/vaderSentiment.txt)",
            "version: 3.3.2+es1",
            "copyright: Copyright (c) 2016 C.J. Hutto",
            "language: en",
            f"sha256: {_sha256(en_src)} (source file)",
            "changes: token and mean valence kept; removed " + ", ".join(sorted(REMOVED)),
            "converted-by: models/lexicons/vendor_vader.py",
            "format: word<TAB>valence (-4..4); keys are folded at load, keys that fold alike are averaged",
        ],
        en_rows,
    )

    fr_src = args.vader_fr / "vaderSentiment_fr" / "fr_lexicon.txt"
    fr_rows = []
    for line in fr_src.read_text(encoding="utf-8").splitlines():
        word, sep, valence = line.rpartition("->")
        if sep and word.strip() and word.strip().lower() not in REMOVED:
            fr_rows.append((word.strip(), float(valence)))
    _write(
        OUT / "fr" / "valence.tsv",
        [
            "source: vaderSentiment-fr 1.3.4, fr_lexicon.txt (https://github.com/thomas7lieues/vader_FR)",
            "licence: MIT (see LICENSES/vaderSentiment-fr.txt)",
            "version: 1.3.4+es1",
            "copyright: Copyright (c) 2016 C.J. Hutto; French lexicon by Olivier Deprez and Thomas Ek (7Lieues)",
            "language: fr",
            f"sha256: {_sha256(fr_src)} (source file)",
            "changes: 'word->valence' lines converted; lines without '->' skipped; removed "
            + ", ".join(sorted(REMOVED)),
            "converted-by: models/lexicons/vendor_vader.py",
            "format: word<TAB>valence (-4..4); keys are folded at load, keys that fold alike are averaged",
        ],
        fr_rows,
    )

    licences = OUT / "LICENSES"
    licences.mkdir(exist_ok=True)
    shutil.copyfile(args.vader.parent / "vaderSentiment-3.3.2.dist-info" / "LICENSE.txt", licences / "vaderSentiment.txt")
    shutil.copyfile(args.vader_fr / "LICENSE.txt", licences / "vaderSentiment-fr.txt")


if __name__ == "__main__":
    main()
