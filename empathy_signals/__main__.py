"""``python -m empathy_signals``: the ``empathy-signals`` command."""

from .cli import main

raise SystemExit(main())
