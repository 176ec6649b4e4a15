"""Lexicon integrity: every lexicon data file is sha256-checked against lexicons/MANIFEST.json."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from empathy_signals import lexicons
from empathy_signals.lexicons import LexiconError, has_data, read_data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "models" / "lexicons"))
import write_manifest  # noqa: E402


def test_the_manifest_lists_every_data_file_with_its_current_hash():
    # fails after a lexicon edit until: python models/lexicons/write_manifest.py
    assert write_manifest.data_files() == lexicons._manifest()
    assert write_manifest.main(["--check"]) == 0


def test_read_data_returns_the_file_text():
    raw = resources.files("empathy_signals.lexicons").joinpath("fr", "care.txt").read_bytes()
    assert read_data("fr/care.txt") == raw.decode("utf-8")
    assert has_data("fr/valence_induced.tsv")
    assert not has_data("en/valence_induced.tsv")  # optional files: absent means not shipped


def test_a_modified_file_is_refused_naming_the_file_and_both_hashes(monkeypatch):
    manifest = dict(lexicons._manifest())
    good = manifest["en/care.txt"]
    manifest["en/care.txt"] = "0" * 64
    monkeypatch.setattr(lexicons, "_manifest", lambda: manifest)
    with pytest.raises(LexiconError) as info:
        read_data("en/care.txt")
    message = str(info.value)
    assert "en/care.txt" in message
    assert "0" * 64 in message
    assert good in message


def test_an_unlisted_or_missing_file_is_an_error(monkeypatch):
    with pytest.raises(LexiconError, match="not listed"):
        read_data("en/not_a_lexicon.txt")
    manifest = dict(lexicons._manifest())
    manifest["en/gone.txt"] = hashlib.sha256(b"").hexdigest()
    monkeypatch.setattr(lexicons, "_manifest", lambda: manifest)
    with pytest.raises(LexiconError, match="absent"):
        read_data("en/gone.txt")


def test_a_tampered_install_fails_cleanly_from_the_cli(tmp_path):
    """One changed byte in an installed lexicon: the CLI exits 2 with the file named, no traceback."""
    package = Path(lexicons.__file__).resolve().parents[1]
    copy = tmp_path / "empathy_signals"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "e5-small-fr-en", "*.so"))
    target = copy / "lexicons" / "fr" / "human_request.txt"
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("conseiller", "conseilxer", 1), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run(
        [sys.executable, "-m", "empathy_signals", "score", "--example", "fr"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert run.returncode == 2, run.stderr
    assert "fr/human_request.txt" in run.stderr
    assert "sha256" in run.stderr
    assert "Traceback" not in run.stderr
