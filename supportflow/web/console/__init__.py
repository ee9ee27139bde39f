"""The review console: server-rendered pages where reviewers work the queue of drafted cases.

Pages: the queue ("/"), a case ("/cases/{id}"), the knowledge base ("/kb") and the tenant's
settings ("/settings"). Every page needs a signed-in user and shows only their tenant's data;
decisions need the reviewer role and each form carries the session's CSRF token. The pages
work without JavaScript; a small inline script adds keyboard shortcuts.
"""

from __future__ import annotations

from fastapi import APIRouter

from supportflow.web.console import case_pages, kb_pages, queue_pages, settings_pages

console_router = APIRouter(tags=["console"], include_in_schema=False)
for _pages in (queue_pages, case_pages, kb_pages, settings_pages):
    console_router.include_router(_pages.router)

__all__ = ["console_router"]
