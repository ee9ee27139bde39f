"""The tenant's settings: categories, thresholds and reply templates (read), thresholds
(change, admins only). A change is written to tenant.yaml and reaches running workers with
their next case."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from supportflow.cases.status import audit
from supportflow.config import Thresholds
from supportflow.store.models import Tenant
from supportflow.tenant_settings import template_names, update_thresholds
from supportflow.web.api.deps import Admin, Reader, tenant_config
from supportflow.web.api.schemas import CategoryPublic, TenantPublic, TenantSettings
from supportflow.web.request_db import SessionDep

router = APIRouter(prefix="/tenant", tags=["tenant settings"])


@router.get("/settings", response_model=TenantSettings)
def settings(principal: Reader, session: SessionDep) -> TenantSettings:
    """The tenant's categories, thresholds (defaults filled in) and template file names."""
    tenant = session.get_one(Tenant, principal.tenant_id)
    folder = Path(tenant.config_dir)
    config = tenant_config(session, principal)
    return TenantSettings(
        tenant=TenantPublic(
            slug=tenant.slug, name=tenant.name, support_address=tenant.support_address
        ),
        categories=[CategoryPublic.model_validate(c.model_dump()) for c in config.categories],
        thresholds=config.thresholds,
        templates=template_names(folder),
    )


@router.patch("/settings/thresholds", response_model=Thresholds)
def change_thresholds(body: Thresholds, principal: Admin, session: SessionDep) -> Thresholds:
    """Set the thresholds given in the body (the others keep their values); answers all of
    them. Range errors are 422. The change is audited (`settings`) and reaches workers at
    their next case."""
    tenant = session.get_one(Tenant, principal.tenant_id)
    before = tenant_config(session, principal).thresholds
    after = update_thresholds(Path(tenant.config_dir), body.model_dump(exclude_unset=True))
    changed = {
        name: [getattr(before, name), getattr(after, name)]
        for name in Thresholds.model_fields
        if getattr(before, name) != getattr(after, name)
    }
    if changed:  # the same audit entry as a change made in the console
        audit(
            session,
            case=None,
            actor=principal.email,
            action="settings",
            detail=changed,
            tenant_id=tenant.id,
        )
    return after
