"""Each tenant's LLM stages (classification, extraction, conversation summary, drafting),
built once per process from its configuration, all sharing the tenant's gateway."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from supportflow.cases.llm_summary import LlmSummary
from supportflow.config import LlmTask
from supportflow.drafting.llm_draft import LlmDrafter
from supportflow.errors import ConfigurationError, InputError
from supportflow.llm.endpoints import open_gateway
from supportflow.llm.gateway import LlmGateway
from supportflow.tenants import TenantResources
from supportflow.triage.examples import load_examples
from supportflow.triage.llm_extraction import LlmExtraction
from supportflow.triage.llm_stage import LlmStage, LlmTriage, UnusableLlm

logger = logging.getLogger(__name__)


class LlmStages:
    """Each tenant's LLM stages, made on first use and made again when the tenant's
    resources are reloaded (tenant.yaml changed)."""

    def __init__(self) -> None:
        # (tenant id, what) -> (the resources it was built from, the stage or None)
        self._built: dict[tuple[int, str], tuple[TenantResources, Any]] = {}
        self._lock = threading.RLock()

    def gateway_for(self, resources: TenantResources) -> LlmGateway | str | None:
        """The tenant's gateway; None without an `llm` section; why, when it cannot work."""
        gateway: LlmGateway | str | None = self._cached(resources, "gateway", _open)
        return gateway

    def for_tenant(self, resources: TenantResources) -> LlmStage | None:
        """The tenant's LLM classification stage; None without a `classify` model."""
        stage: LlmStage | None = self._cached(resources, "classify", self._build_triage)
        return stage

    def extraction_for(self, resources: TenantResources) -> LlmExtraction | None:
        """The tenant's LLM extraction; None without an `extract` model or a usable client."""
        extraction: LlmExtraction | None = self._cached(
            resources, "extract", self._build_extraction
        )
        return extraction

    def summary_for(self, resources: TenantResources) -> LlmSummary | None:
        """The tenant's conversation summariser; None without a `summarise` model."""
        summary: LlmSummary | None = self._cached(resources, "summarise", self._build_summary)
        return summary

    def drafter_for(self, resources: TenantResources) -> LlmDrafter | str | None:
        """The tenant's LLM drafter; None without a `draft` model; why, when it cannot work
        (the draft is then the template's, with that note)."""
        drafter: LlmDrafter | str | None = self._cached(resources, "draft", self._build_drafter)
        return drafter

    def _cached(
        self, resources: TenantResources, what: str, build: Callable[[TenantResources], Any]
    ) -> Any:
        with self._lock:
            cached = self._built.get((resources.tenant_id, what))
            if cached is not None and cached[0] is resources:
                return cached[1]
            built = build(resources)
            self._built[(resources.tenant_id, what)] = (resources, built)
            return built

    def _usable_gateway(self, resources: TenantResources, task: LlmTask) -> LlmGateway | str | None:
        """The gateway when the tenant has a model for `task`; else None, or why not."""
        endpoint = resources.config.llm
        if endpoint is None or not endpoint.chain(task):
            return None
        return self.gateway_for(resources)

    def _build_triage(self, resources: TenantResources) -> LlmStage | None:
        gateway = self._usable_gateway(resources, "classify")
        if gateway is None or isinstance(gateway, str):
            return None if gateway is None else UnusableLlm(gateway)
        config = resources.config
        try:
            examples = load_examples(resources.folder / config.examples_file)
        except InputError as exc:
            logger.warning("tenant %s: the LLM stage is off: %s", resources.slug, exc)
            return UnusableLlm(str(exc))
        return LlmTriage(
            gateway,
            company=config.tenant.name,
            categories=config.categories,
            examples=examples,
            embedder=resources.embedder,
        )

    def _build_extraction(self, resources: TenantResources) -> LlmExtraction | None:
        gateway = self._usable_gateway(resources, "extract")
        if gateway is None or isinstance(gateway, str):
            return None  # extraction then rests on the parsers alone (logged when opened)
        return LlmExtraction(gateway, company=resources.config.tenant.name)

    def _build_summary(self, resources: TenantResources) -> LlmSummary | None:
        gateway = self._usable_gateway(resources, "summarise")
        if gateway is None or isinstance(gateway, str):
            return None  # summaries then stay deterministic
        return LlmSummary(gateway, company=resources.config.tenant.name)

    def _build_drafter(self, resources: TenantResources) -> LlmDrafter | str | None:
        gateway = self._usable_gateway(resources, "draft")
        if gateway is None or isinstance(gateway, str):
            return gateway
        return LlmDrafter(
            gateway,
            company=resources.config.tenant.name,
            agent_name=resources.config.tenant.support_name,
            embedder=resources.embedder,
        )


def _open(resources: TenantResources) -> LlmGateway | str | None:
    endpoint = resources.config.llm
    if endpoint is None:
        return None
    try:
        return open_gateway(endpoint)
    except ConfigurationError as exc:
        logger.warning("tenant %s: the LLM cannot be used: %s", resources.slug, exc)
        return str(exc)
