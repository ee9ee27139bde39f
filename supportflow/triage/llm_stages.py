"""Each tenant's LLM stages (classification, extraction, conversation summary), built once
per process from its configuration."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from supportflow.cases.llm_summary import LlmSummary
from supportflow.errors import ConfigurationError, InputError
from supportflow.llm.client import OpenAiCompatibleClient
from supportflow.tenants import TenantResources
from supportflow.triage.examples import load_examples
from supportflow.triage.llm_extraction import LlmExtraction
from supportflow.triage.llm_stage import LlmStage, LlmTriage, UnusableLlm

logger = logging.getLogger(__name__)


class LlmStages:
    """Each tenant's LLM stages (classification, extraction, conversation summary), made on
    first use and made again when the tenant's resources are reloaded."""

    def __init__(self) -> None:
        # (tenant id, what) -> (the resources it was built from, the stage or None)
        self._built: dict[tuple[int, str], tuple[TenantResources, Any]] = {}
        self._lock = threading.Lock()

    def for_tenant(self, resources: TenantResources) -> LlmStage | None:
        """The tenant's LLM classification stage; None without a `classify` model."""
        stage: LlmStage | None = self._cached(resources, "classify", build_llm_stage)
        return stage

    def extraction_for(self, resources: TenantResources) -> LlmExtraction | None:
        """The tenant's LLM extraction; None without an `extract` model or a usable client."""
        extraction: LlmExtraction | None = self._cached(resources, "extract", build_llm_extraction)
        return extraction

    def summary_for(self, resources: TenantResources) -> LlmSummary | None:
        """The tenant's conversation summariser; None without a `summarise` model."""
        summary: LlmSummary | None = self._cached(resources, "summarise", build_llm_summary)
        return summary

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


def build_llm_stage(resources: TenantResources) -> LlmStage | None:
    """The tenant's LLM stage; None without a classify model; `UnusableLlm` saying why when
    the configuration cannot work (a missing API key, unreadable examples)."""
    config = resources.config
    endpoint = config.llm
    if endpoint is None or "classify" not in endpoint.models:
        return None
    try:
        chat = OpenAiCompatibleClient(endpoint)
        examples = load_examples(resources.folder / config.examples_file)
    except (ConfigurationError, InputError) as exc:
        logger.warning("tenant %s: the LLM stage is off: %s", resources.slug, exc)
        return UnusableLlm(str(exc))
    return LlmTriage(
        chat,
        model=endpoint.models["classify"],
        company=config.tenant.name,
        categories=config.categories,
        examples=examples,
        embedder=resources.embedder,
    )


def build_llm_extraction(resources: TenantResources) -> LlmExtraction | None:
    """The tenant's LLM extraction; None without an extract model, or (logged) when the
    endpoint cannot be used: extraction then rests on the parsers alone."""
    endpoint = resources.config.llm
    if endpoint is None or "extract" not in endpoint.models:
        return None
    try:
        chat = OpenAiCompatibleClient(endpoint)
    except ConfigurationError as exc:
        logger.warning("tenant %s: LLM extraction is off: %s", resources.slug, exc)
        return None
    return LlmExtraction(
        chat, model=endpoint.models["extract"], company=resources.config.tenant.name
    )


def build_llm_summary(resources: TenantResources) -> LlmSummary | None:
    """The tenant's summariser; None without a summarise model, or (logged) when the endpoint
    cannot be used: summaries then stay deterministic."""
    endpoint = resources.config.llm
    if endpoint is None or "summarise" not in endpoint.models:
        return None
    try:
        chat = OpenAiCompatibleClient(endpoint)
    except ConfigurationError as exc:
        logger.warning("tenant %s: LLM summaries are off: %s", resources.slug, exc)
        return None
    return LlmSummary(
        chat, model=endpoint.models["summarise"], company=resources.config.tenant.name
    )
