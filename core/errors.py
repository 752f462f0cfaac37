"""Errors every layer raises; the UI turns them into `gr.Error`, the CLI into exit codes."""


class FacetError(Exception):
    """Base class: the message is written for the user, not for a developer."""


class BadInput(FacetError):
    """The user's file, click or parameter cannot be used; the message says why and what to do."""


class ModelUnavailable(FacetError):
    """A model role has no weights here (not downloaded, offline, or a bad FACET_MODEL_<ROLE> path)."""

    def __init__(self, role: str, reason: str):
        super().__init__(f"model '{role}' unavailable: {reason}")
        self.role = role
        self.reason = reason


class Cancelled(FacetError):
    """The user cancelled a running job (a generation stops within one denoising step)."""

    def __init__(self, message: str = "generation cancelled"):
        super().__init__(message)
