"""The embedded multilingual text model (issue 3): e5-small with a FR/EN vocabulary.

Importing this package is cheap: torch and transformers load in :meth:`TextModel.load`.

>>> from empathy_signals.encoder import EMOTIONS, TOPICS
>>> len(EMOTIONS), len(TOPICS)
(8, 11)
"""

from empathy_signals.encoder._artifact import default_artifact_dir, verify_artifact
from empathy_signals.encoder.heads import EMOTIONS, TOPICS, VALENCE_CLASSES
from empathy_signals.encoder.text_model import QUERY_PREFIX, ModelOutput, TextModel, normalize_text

__all__ = [
    "EMOTIONS",
    "QUERY_PREFIX",
    "TOPICS",
    "VALENCE_CLASSES",
    "ModelOutput",
    "TextModel",
    "default_artifact_dir",
    "normalize_text",
    "verify_artifact",
]
