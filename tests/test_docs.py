"""The Python examples in README.md and docs/*.md run, and print what their comments say.

A ``print(...)  # value ...`` line in an example must print a line starting with the
comment's first word (and the number after it, if any); other examples must simply run.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
_PRINT_COMMENT = re.compile(r"^\s*print\(.*\)\s*#\s*(\S+(?: [\d.]+)?)", re.M)


def _blocks():
    for path in DOCS:
        for number, match in enumerate(_BLOCK.finditer(path.read_text(encoding="utf-8")), start=1):
            yield pytest.param(match.group(1), id=f"{path.name}#{number}")


@pytest.mark.parametrize("code", list(_blocks()))
def test_doc_example_runs_and_prints_what_it_says(code: str) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<doc example>", "exec"), {"__name__": "__doc_example__"})
    expected = _PRINT_COMMENT.findall(code)
    printed = out.getvalue().splitlines()
    if expected:
        # the commented prints are the first lines of their kind; compare in order
        lines = list(printed)
        for said in expected:
            found = [i for i, line in enumerate(lines) if line.startswith(said)]
            assert found, f"an example comment says {said!r}; printed {printed}"
            lines = lines[found[0] + 1 :]


def test_docs_examples_exist() -> None:
    assert len(list(_blocks())) >= 3
