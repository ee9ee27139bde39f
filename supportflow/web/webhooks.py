"""Inbound-mail webhooks: POST /webhooks/{provider}/{tenant_slug} for SendGrid, Mailgun and
Postmark.

No session or API token here: each provider proves itself (Mailgun's signature, basic auth
for the others; see supportflow.mail.webhooks). The body is read up to the tenant's
`limits.max_message_bytes` (413 past it), turned into raw MIME and accepted by intake; the
answer is 200 as soon as the message is stored, and the worker processes it later. Refusals
use the API's JSON error shape: 401 (proof of origin), 404 (tenant or provider unknown),
400 (malformed payload), 413 (too large); 5xx tells the provider to retry later.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import cast

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from supportflow.cases.intake import IntakeResult, accept_raw_email
from supportflow.config import TenantConfig, current_tenant_config
from supportflow.errors import NotFoundError
from supportflow.mail.webhooks import mailgun, postmark, sendgrid
from supportflow.mail.webhooks.auth import secret_from_env
from supportflow.store.db import Database
from supportflow.store.models import Tenant
from supportflow.web.api.errors import error_response

webhooks_router = APIRouter(prefix="/webhooks", tags=["webhooks"])
PROVIDERS = (sendgrid.PROVIDER, mailgun.PROVIDER, postmark.PROVIDER)


class _TooLarge(Exception):
    pass


@webhooks_router.post("/{provider}/{tenant_slug}", response_model=None)
async def receive_webhook(provider: str, tenant_slug: str, request: Request) -> Response:
    """Accept one inbound message from `provider` for the tenant `tenant_slug`."""
    if provider not in PROVIDERS:
        raise NotFoundError(f"no webhook for provider '{provider}'")
    db = cast(Database, request.app.state.db)
    tenant_id, config = await run_in_threadpool(_tenant, db, tenant_slug)
    limit = config.limits.max_message_bytes
    try:
        body = await _read_body(request, limit)
    except _TooLarge:
        return error_response(413, "PayloadTooLarge", f"the message is over {limit} bytes")
    # Parsing a large form or JSON body is CPU work: off the event loop, like the database.
    raw = await run_in_threadpool(_raw_message, provider, request.headers, body, config)
    result = await run_in_threadpool(_accept, db, tenant_id, raw, provider)
    return JSONResponse({"outcome": result.outcome, "case_id": result.case_id})


def _tenant(db: Database, slug: str) -> tuple[int, TenantConfig]:
    with db.session() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        if tenant is None:
            raise NotFoundError(f"no tenant '{slug}'")
        return tenant.id, current_tenant_config(Path(tenant.config_dir))


def _raw_message(provider: str, headers: Headers, body: bytes, config: TenantConfig) -> bytes:
    secrets = config.webhooks
    authorization = headers.get("authorization")
    content_type = headers.get("content-type", "")
    if provider == postmark.PROVIDER:
        credentials = secret_from_env(secrets.postmark_basic_auth_env, provider=provider)
        return postmark.read_delivery(body, authorization=authorization, credentials=credentials)
    if provider == sendgrid.PROVIDER:
        credentials = secret_from_env(secrets.sendgrid_basic_auth_env, provider=provider)
        return sendgrid.read_delivery(
            body, content_type=content_type, authorization=authorization, credentials=credentials
        )
    signing_key = secret_from_env(secrets.mailgun_signing_key_env, provider=provider)
    return mailgun.read_delivery(
        body, content_type=content_type, signing_key=signing_key, now=time.time()
    )


def _accept(db: Database, tenant_id: int, raw: bytes, provider: str) -> IntakeResult:
    origin = f"webhook:{provider}"
    with db.session() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None  # read a moment ago; tenants are never deleted
        return accept_raw_email(session, tenant=tenant, raw=raw, origin=origin, actor=origin)


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused once it passes `limit` bytes (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _TooLarge
    return bytes(body)
