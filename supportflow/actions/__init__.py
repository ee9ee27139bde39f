"""Actions supportflow proposes beside a draft (refund, replacement, coupon, ticket...).

`propose_actions` applies the tenant's `actions` rules (tenant.yaml) to a case; the draft
step stores what it proposes, and a reviewer accepts or declines each one with
`decide_action`. Accepted actions are recorded for the team to carry out: executing them
(calling a shop or a helpdesk) is not supportflow's job yet.
"""

from __future__ import annotations

from supportflow.actions.decisions import (
    action_view,
    case_actions,
    decide_action,
    store_proposals,
)
from supportflow.actions.proposer import ProposedAction, propose_actions

__all__ = [
    "ProposedAction",
    "action_view",
    "case_actions",
    "decide_action",
    "propose_actions",
    "store_proposals",
]
