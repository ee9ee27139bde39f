"""The dependencies every console route declares: who is asking, with what right, and the
database session. One object per role, so FastAPI resolves each once per request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from supportflow.web.auth import Principal, console_user, verify_csrf

Reader = Annotated[Principal, Depends(console_user("read"))]
Reviewer = Annotated[Principal, Depends(console_user("review"))]
Admin = Annotated[Principal, Depends(console_user("admin"))]
# Declared after the principal, so a signed-out browser is sent to /login before any check.
CsrfChecked = Annotated[None, Depends(verify_csrf)]
