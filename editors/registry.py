"""The editor registry (name -> builder). It lives here, not in the package ``__init__``, so an editor module
imports only this file and nothing imports back into it; ``editors/__init__.py`` imports every editor once,
which registers it."""

from core.registry import Registry

EDITORS: Registry = Registry("editor")
