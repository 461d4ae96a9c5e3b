"""Run the sandbox: ``python -m flask_astorage.sandbox --help``."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
