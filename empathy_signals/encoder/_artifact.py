"""Locate the packaged model artifact and check it against the pinned sha256 registry.

No torch here: this module only reads files. Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from collections.abc import Mapping
from pathlib import Path

from empathy_signals.encoder import _registry
from empathy_signals.errors import ModelError

__all__ = ["HEADS_FILE", "REQUIRED_FILES", "default_artifact_dir", "sha256_file", "verify_artifact"]

REQUIRED_FILES = ("config.json", "model.q4.safetensors", "tokenizer.json", "tokenizer_config.json")
HEADS_FILE = "heads.safetensors"


def default_artifact_dir() -> Path:
    """The artifact folder inside the installed package (found with ``importlib.resources``)."""
    folder = importlib.resources.files("empathy_signals.encoder") / _registry.ARTIFACT
    if not isinstance(folder, Path):
        raise ModelError(
            f"the model artifact {_registry.ARTIFACT!r} must be on a file system; "
            f"got a {type(folder).__name__} (zip imports are not supported)"
        )
    return folder


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_artifact(folder: Path, expected: Mapping[str, str] | None = None) -> dict[str, bool]:
    """Check every registered file of ``folder`` against its pinned sha256.

    Parameters
    ----------
    folder : Path
        The artifact folder.
    expected : Mapping[str, str], optional
        File name -> hex sha256. Defaults to the registry pinned in the package.

    Returns
    -------
    dict[str, bool]
        File name -> True for every file that was checked.

    Raises
    ------
    ModelError
        A required file is missing, or a file's sha256 differs from the pinned one.
    """
    expected = dict(_registry.SHA256 if expected is None else expected)
    if not folder.is_dir():
        raise ModelError(
            f"model artifact folder {str(folder)!r} does not exist; reinstall empathy-signals "
            "or rebuild it with: python models/build_e5.py"
        )
    missing_pins = [name for name in REQUIRED_FILES if name not in expected]
    if missing_pins and expected is _registry.SHA256:
        raise ModelError(f"the sha256 registry has no entry for {missing_pins}")
    checked: dict[str, bool] = {}
    for name, want in expected.items():
        path = folder / name
        if not path.is_file():
            raise ModelError(
                f"model artifact file {name!r} is missing from {str(folder)!r}; reinstall "
                "empathy-signals or rebuild it with: python models/build_e5.py"
            )
        got = sha256_file(path)
        if got != want:
            raise ModelError(
                f"model artifact file {name!r} in {str(folder)!r} has sha256 {got}, expected "
                f"{want}; the file is corrupt or from another build (a Git LFS pointer?). "
                "Reinstall empathy-signals or rebuild with models/build_e5.py"
            )
        checked[name] = True
    if (folder / HEADS_FILE).is_file() and HEADS_FILE not in expected:
        raise ModelError(
            f"{HEADS_FILE!r} in {str(folder)!r} has no pinned sha256; rebuild it with: "
            "python models/train_heads.py"
        )
    return checked
