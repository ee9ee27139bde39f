from __future__ import annotations

import pytest

from supportflow.store.models import Case
from tests.pipeline.test_workflow import customer_email, ingest


@pytest.fixture
def case_ids(demo_db) -> tuple[int, int]:
    """(tenant id, case id) of one case in the demo workspace."""
    [case_id] = ingest(demo_db, customer_email())
    with demo_db.session() as session:
        return session.get_one(Case, case_id).tenant_id, case_id
