"""What every API endpoint depends on: a database session, the principal, and tenant scoping.

Every lookup by id goes through `tenant_case` (or checks `tenant_id` itself), so an id of
another tenant answers 404 exactly like an id that does not exist: ids do not leak.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from supportflow.config import TenantConfig, current_tenant_config
from supportflow.errors import NotFoundError
from supportflow.store.models import Case, Tenant
from supportflow.web.auth import Principal, api_user

Reader = Annotated[Principal, Depends(api_user("read"))]
Reviewer = Annotated[Principal, Depends(api_user("review"))]
Admin = Annotated[Principal, Depends(api_user("admin"))]


def tenant_config(session: Session, principal: Principal) -> TenantConfig:
    """The principal's tenant's tenant.yaml as it is now."""
    return current_tenant_config(Path(session.get_one(Tenant, principal.tenant_id).config_dir))


def tenant_case(session: Session, principal: Principal, case_id: int) -> Case:
    """Case `case_id` when it belongs to the principal's tenant; NotFoundError otherwise."""
    case = session.get(Case, case_id)
    if case is None or case.tenant_id != principal.tenant_id:
        raise NotFoundError(f"no case {case_id}")
    return case
