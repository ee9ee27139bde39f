"""The database session of one request, shared by the API, the console and the overview."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from supportflow.store.db import Database


def request_session(request: Request) -> Iterator[Session]:
    """One session per request, committed when the handler succeeds."""
    db: Database = request.app.state.db
    with db.session() as session:
        yield session


# scope "function": committed before the response is sent, so the page a redirect leads to,
# or the client's next request, sees the change.
SessionDep = Annotated[Session, Depends(request_session, scope="function")]
