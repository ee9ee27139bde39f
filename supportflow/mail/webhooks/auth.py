"""Proofs of origin shared by the providers: secrets read from the environment, HTTP basic
auth compared in constant time. Secret values are never logged or put in messages."""

from __future__ import annotations

import base64
import binascii
import hmac
import os

from supportflow.errors import AuthenticationError, ConfigurationError, NotFoundError


def secret_from_env(variable: str | None, *, provider: str) -> str:
    """The secret held by environment `variable`. NotFoundError when the tenant has not
    enabled `provider` (no variable named); ConfigurationError when the variable is unset,
    which the web layer answers with a 5xx so the provider retries once it is set."""
    if not variable:
        raise NotFoundError(f"this tenant does not accept {provider} webhooks")
    value = os.environ.get(variable, "")
    if not value:
        raise ConfigurationError(f"{provider} webhook: environment variable {variable} is not set")
    return value


def check_basic_auth(authorization: str | None, *, expected: str) -> None:
    """Accept `Authorization: Basic ...` carrying exactly `expected` ("user:password"), as
    providers send it when the credentials are written into the webhook URL."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise AuthenticationError("basic authentication required")
    try:
        given = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AuthenticationError("malformed basic authentication") from exc
    if not hmac.compare_digest(given, expected.encode("utf-8")):
        raise AuthenticationError("wrong basic authentication credentials")
