"""``python -m ml_connector``: the same as the ``ml-connector`` command."""

from .cli import main

raise SystemExit(main())
