"""Policy: data that loads, validates with clear messages and round-trips exactly."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from pydantic import ValidationError

from empathy_signals import Detector, Policy
from empathy_signals.errors import EmpathySignalsError, PolicyError
from empathy_signals.schema import EMOTIONS, TOPICS

#: The hash of the shipped default policy. It changes only when default_policy.toml changes
#: on purpose (benchmark results record it): update it together with the file.
DEFAULT_POLICY_SHA256 = "a862c403f46551bf9ba93aa8c724631cd7ae2e4b40f3499b642e0379f3878cb7"


def custom_policy() -> Policy:
    """A policy that differs from the default in every section."""
    return Policy.from_dict(
        {
            "version": 1,
            "languages": ["en", "fr"],
            "default_language": "en",
            "signals": {"human_request": True, "topics": True, "sentiment": False, "emotion": True,
                        "friction": False, "prosody": True, "model": False},
            "text_only": True,
            "weights": {
                "bias": -2.75,
                "human_request": 3.125,
                "human_request_repeat_gain": 0.1,
                "negative_valence": 0.3333333333333333,
                "emotion": {"anger": 2.0, "joy": -1.0},
                "topics": {"self_harm": 6.0, "health": 0.0},
                "friction": 1e-3,
                "prosody_arousal": 1.5,
                "prosody_neutral": 0.2,
            },
            "thresholds": {"offer_human": 0.45, "escalate": 0.9, "release_margin": 0.0, "release_after_turns": 4},
            "overrides": {
                "escalate_topics": ["self_harm", "fraud_security"],
                "offer_topics": [],
                "offer_on_request_count": 2,
                "escalate_on_request_count": 3,
            },
        }
    )


# ------------------------------------------------------------------ defaults


def test_default_policy_loads_from_package_data():
    policy = Policy.default()
    assert policy.version == 1
    assert set(policy.languages) == {"fr", "en"}
    assert policy.thresholds.escalate > policy.thresholds.offer_human
    assert set(policy.weights.emotion) == set(EMOTIONS)
    assert set(policy.weights.topics) == set(TOPICS)
    assert policy.overrides.escalate_topics == ("self_harm",)
    assert all(policy.enabled(s) for s in policy.signals)
    text = resources.files("empathy_signals").joinpath("data", "default_policy.toml").read_text("utf-8")
    assert Policy.from_toml(text) == policy


def test_default_policy_hash_is_stable():
    assert Policy.default().sha256 == Policy.default().sha256
    assert Policy.default().sha256 == DEFAULT_POLICY_SHA256
    assert len(DEFAULT_POLICY_SHA256) == 64


def test_hash_depends_on_content_only(tmp_path):
    policy = custom_policy()
    path = tmp_path / "p.toml"
    policy.dump(path)
    assert Policy.load(path).sha256 == policy.sha256
    assert custom_policy().sha256 != Policy.default().sha256
    nudged = policy.model_copy(update={"weights": policy.weights.model_copy(update={"bias": -2.7500001})})
    assert nudged.sha256 != policy.sha256


def test_detector_uses_the_default_policy():
    assert Detector().policy == Policy.default()


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("make", [Policy.default, custom_policy, Policy], ids=["default", "custom", "class-defaults"])
@pytest.mark.parametrize("suffix", [".toml", ".json", ".TOML", ".JSON"])
def test_dump_then_load_is_exact(tmp_path, make, suffix):
    policy = make()
    path = tmp_path / f"policy{suffix}"
    policy.dump(path)
    loaded = Policy.load(path)
    assert loaded == policy
    assert loaded.model_dump() == policy.model_dump()
    assert loaded.sha256 == policy.sha256
    # and a second trip writes the same bytes
    again = tmp_path / f"again{suffix}"
    loaded.dump(again)
    assert again.read_bytes() == path.read_bytes()


def test_json_file_is_json_and_toml_file_is_toml(tmp_path):
    policy = custom_policy()
    policy.dump(tmp_path / "p.json")
    policy.dump(tmp_path / "p.toml")
    assert json.loads((tmp_path / "p.json").read_text("utf-8"))["weights"]["bias"] == -2.75
    assert Policy.from_toml((tmp_path / "p.toml").read_text("utf-8")) == policy
    assert Policy.from_toml(policy.to_toml()) == policy


def test_floats_round_trip_bit_for_bit(tmp_path):
    policy = custom_policy()
    for suffix in (".toml", ".json"):
        policy.dump(tmp_path / f"f{suffix}")
        w = Policy.load(tmp_path / f"f{suffix}").weights
        assert w.negative_valence == 0.3333333333333333
        assert w.friction == 1e-3


def test_a_partial_file_fills_in_class_defaults(tmp_path):
    path = tmp_path / "partial.toml"
    path.write_text("[thresholds]\noffer_human = 0.4\n", encoding="utf-8")
    policy = Policy.load(path)
    assert policy.thresholds.offer_human == 0.4
    assert policy.thresholds.escalate == Policy().thresholds.escalate


# ------------------------------------------------------------------ invalid values


@pytest.mark.parametrize(
    ("data", "names"),
    [
        ({"thresholds": {"offer_human": 0.8, "escalate": 0.5}}, ["thresholds", "escalate", "0.5", "0.8"]),
        ({"thresholds": {"offer_human": 0.6, "escalate": 0.6}}, ["thresholds", "escalate", "0.6"]),
        ({"thresholds": {"offer_human": 1.5}}, ["thresholds.offer_human", "1.5"]),
        ({"thresholds": {"release_after_turns": 0}}, ["thresholds.release_after_turns", "0"]),
        ({"thresholds": {"release_margin": -0.1}}, ["thresholds.release_margin", "-0.1"]),
        ({"overrides": {"escalate_topics": ["suicide"]}}, ["overrides", "escalate_topics", "suicide"]),
        ({"overrides": {"offer_topics": ["health", "weather"]}}, ["overrides", "offer_topics", "weather"]),
        ({"overrides": {"offer_on_request_count": 0}}, ["overrides.offer_on_request_count", "0"]),
        ({"weights": {"emotion": {"rage": 1.0}}}, ["weights", "emotion", "rage"]),
        ({"weights": {"topics": {"weather": 1.0}}}, ["weights", "topics", "weather"]),
        ({"weights": {"bias": "high"}}, ["weights.bias", "high"]),
        ({"weights": {"bias": float("nan")}}, ["weights.bias", "nan"]),
        ({"weights": {"friction": float("inf")}}, ["weights.friction", "inf"]),
        ({"weights": {"prosody_neutral": 2.0}}, ["weights.prosody_neutral", "2.0"]),
        ({"languages": ["fr", "de"]}, ["languages", "de"]),
        ({"languages": ["en"], "default_language": "fr"}, ["default_language", "fr"]),
        ({"signals": {"telepathy": True}}, ["signals", "telepathy"]),
        ({"surprise": 1}, ["surprise"]),
        ({"weights": {"surprise": 1}}, ["weights.surprise"]),
    ],
)
def test_invalid_values_name_the_field_and_the_value(data, names):
    with pytest.raises(PolicyError) as info:
        Policy.from_dict(data, source="my_policy.toml")
    message = str(info.value)
    assert message.startswith("my_policy.toml")
    for name in names:
        assert name in message, f"{name!r} not in {message!r}"


def test_policy_error_is_a_library_error_and_a_value_error():
    with pytest.raises(EmpathySignalsError):
        Policy.from_dict({"thresholds": {"escalate": 0.1}})
    with pytest.raises(ValueError):
        Policy.from_dict({"thresholds": {"escalate": 0.1}})


@pytest.mark.parametrize(
    "text",
    ["x = = 1", "[weights\nbias = 1", "bias = -3.0\nbias = -2.0", "[weights]\nbias = nan-ish"],
)
def test_bad_toml_names_the_file(tmp_path, text):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken\.toml.*not valid TOML"):
        Policy.load(path)


def test_bad_json_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{'weights': }", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken\.json.*not valid JSON"):
        Policy.load(path)


def test_invalid_value_in_a_file_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[thresholds]\noffer_human = 0.9\nescalate = 0.8\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"bad\.toml.*escalate.*0\.8"):
        Policy.load(path)


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere" / "policy.toml"
    with pytest.raises(PolicyError, match="policy.toml"):
        Policy.load(path)
    with pytest.raises(PolicyError):
        Detector(str(path))


def test_non_utf8_file_is_a_policy_error(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes("# é\nversion = 1\n".encode("latin-1"))
    with pytest.raises(PolicyError, match="latin1.toml"):
        Policy.load(path)


def test_policies_are_frozen():
    policy = Policy.default()
    with pytest.raises(ValidationError, match="frozen"):
        policy.text_only = True  # type: ignore[misc]


# ------------------------------------------------------------------ text_only


def test_text_only_disables_prosody_whatever_the_signals_say():
    policy = Policy.default().model_copy(update={"text_only": True})
    assert policy.signals["prosody"] is True
    assert not policy.enabled("prosody")
    assert all(policy.enabled(s) for s in ("human_request", "topics", "sentiment", "emotion", "friction"))


def test_prosody_signal_off_disables_prosody():
    policy = Policy.default().model_copy(update={"signals": {**Policy.default().signals, "prosody": False}})
    assert not policy.enabled("prosody")


def test_text_only_session_never_reads_audio(tmp_path):
    policy = Policy.from_dict({**Policy.default().model_dump(mode="json"), "text_only": True})
    session = Detector(policy).session("fr")
    missing = tmp_path / "not_there.wav"
    a = session.add({"speaker": "customer", "text": "bonjour", "audio": {"path": str(missing)}})
    assert a.signals.prosody is None
    assert all(r.signal != "prosody" for r in a.reasons)


def test_detector_accepts_a_policy_path(tmp_path):
    path = tmp_path / "p.toml"
    custom_policy().dump(path)
    assert Detector(path).policy == custom_policy()
    assert Detector(str(path)).policy == custom_policy()
