"""The public surface of ``empathy_signals`` is small, sorted and cheap to import (STYLE habits 1, 5)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import empathy_signals

REPO_ROOT = Path(empathy_signals.__file__).resolve().parent.parent

#: The public names, exactly. Adding one is an API decision: update this list on purpose.
PUBLIC_NAMES = [
    "Assessment",
    "Conversation",
    "ConversationAssessment",
    "Detector",
    "EmpathySignalsError",
    "InputError",
    "ModelError",
    "Policy",
    "Session",
    "Turn",
    "__version__",
    "analyze",
]

HEAVY_MODULES = ("torch", "transformers", "librosa", "pydantic", "pyspark", "pandas", "pyarrow", "rasa_sdk")


def test_all_is_pinned_and_sorted():
    assert list(empathy_signals.__all__) == PUBLIC_NAMES
    assert list(empathy_signals.__all__) == sorted(empathy_signals.__all__)
    assert len(set(empathy_signals.__all__)) == len(empathy_signals.__all__)


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_each_public_name_is_importable(name):
    module = importlib.import_module("empathy_signals")
    assert getattr(module, name) is not None
    # the spelling users write: ``from empathy_signals import <name>``
    imported = __import__("empathy_signals", fromlist=[name])
    assert getattr(imported, name) is getattr(module, name)


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        empathy_signals.no_such_name  # noqa: B018


def test_dir_lists_the_public_names():
    assert set(PUBLIC_NAMES) <= set(dir(empathy_signals))


def test_version_matches_the_project():
    assert isinstance(empathy_signals.__version__, str)
    assert empathy_signals.__version__.count(".") >= 2


def test_errors_share_one_root():
    root = empathy_signals.EmpathySignalsError
    assert issubclass(empathy_signals.InputError, root)
    assert issubclass(empathy_signals.ModelError, root)


def _fresh_python(code: str) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_is_cheap_in_a_fresh_interpreter():
    code = (
        "import json, sys\n"
        "import empathy_signals\n"
        f"print(json.dumps({{m: m in sys.modules for m in {list(HEAVY_MODULES)!r}}}))\n"
    )
    loaded = json.loads(_fresh_python(code).strip().splitlines()[-1])
    assert loaded == {m: False for m in HEAVY_MODULES}


def test_touching_a_lazy_name_loads_it_but_not_the_ml_stack():
    code = (
        "import json, sys\n"
        "from empathy_signals import Detector, Policy, Turn\n"
        "print(json.dumps({m: m in sys.modules for m in ['torch', 'transformers', 'librosa']}))\n"
    )
    loaded = json.loads(_fresh_python(code).strip().splitlines()[-1])
    assert loaded == {"torch": False, "transformers": False, "librosa": False}
