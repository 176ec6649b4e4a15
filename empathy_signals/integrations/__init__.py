"""Adapters to bot frameworks: thin shells around :class:`~empathy_signals.detector.Detector`.

Each adapter lives in its own module and imports its framework only when used, so that
``import empathy_signals.integrations.rasa`` costs nothing without Rasa installed:

- :mod:`empathy_signals.integrations.rasa`: a Rasa custom action that hands the conversation
  to a human when it needs one (``pip install 'empathy-signals[rasa]'``).

The HTTP service (:mod:`empathy_signals.serve`) and the asyncio stream processor for voice
pipelines (:mod:`empathy_signals.streaming`) need nothing beyond the package.
"""
