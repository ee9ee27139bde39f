"""supportflow's exceptions, split by whose fault a failure is.

    SupportflowError                 base of everything we raise on purpose
    ├── InputError                   bad input from a user or a sender: fix the input
    │   ├── MalformedEmailError      bytes that cannot be read as an email at all
    │   ├── IngestError              a file or folder given to `ingest` cannot be read
    │   ├── DocumentLoadError        a knowledge-base document cannot be loaded
    │   ├── NotFoundError            a case, draft or document id that does not exist
    │   ├── AuthenticationError      wrong or missing credentials (password, token, session)
    │   ├── PermissionDeniedError    signed in, but the role does not allow it (or bad CSRF)
    │   └── RateLimitedError         too many failed logins; `retry_after` seconds to wait
    ├── ConfigurationError           settings or tenant YAML are wrong: fix the configuration
    ├── StateError                   an action that the case's status does not allow
    ├── UpstreamError                a service we depend on failed (SMTP, database)
    │   └── SendError                the SMTP server refused or could not be reached
    └── InternalError                a bug in supportflow

The CLI shows `str(error)` on one line and exits non-zero; the web layer maps each branch to
one JSON error shape. Third-party exceptions are translated where they are caught.
"""

from __future__ import annotations


class SupportflowError(Exception):
    """Base class of every error supportflow raises on purpose."""


class InputError(SupportflowError):
    """The input (a message, a file, an argument) is wrong."""


class MalformedEmailError(InputError):
    """The bytes cannot be read as an email at all."""


class IngestError(InputError):
    """A path given to ingest cannot be read; the message names the file."""


class DocumentLoadError(InputError):
    """A knowledge-base document cannot be loaded; the message names the file."""


class NotFoundError(InputError):
    """An id that names nothing."""


class AuthenticationError(InputError):
    """Credentials are missing, wrong, or belong to a disabled account or revoked token."""


class PermissionDeniedError(InputError):
    """The principal is known but may not do this."""


class RateLimitedError(InputError):
    """Too many failed attempts; try again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigurationError(SupportflowError):
    """Settings or tenant configuration are invalid."""


class StateError(SupportflowError):
    """The case's current status does not allow the requested action."""


class UpstreamError(SupportflowError):
    """A service supportflow depends on failed."""


class SendError(UpstreamError):
    """Sending a reply failed; `is_permanent` tells whether retrying can help."""

    def __init__(self, message: str, *, is_permanent: bool = False) -> None:
        super().__init__(message)
        self.is_permanent = is_permanent


class InternalError(SupportflowError):
    """A bug: something that should not happen did."""
