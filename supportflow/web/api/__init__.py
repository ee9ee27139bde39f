"""The REST API under /api/v1 (cases, drafts, decisions, tenant settings, users)."""
