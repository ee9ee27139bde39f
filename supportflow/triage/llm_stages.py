"""Each tenant's LLM stages (classification, extraction), built once per process from its
configuration."""

from __future__ import annotations

import logging
import threading

from supportflow.cases.llm_summary import LlmSummary
from supportflow.errors import ConfigurationError, InputError
from supportflow.llm.client import OpenAiCompatibleClient
from supportflow.tenants import TenantResources
from supportflow.triage.examples import load_examples
from supportflow.triage.llm_extraction import LlmExtraction
from supportflow.triage.llm_stage import LlmStage, LlmTriage, UnusableLlm

logger = logging.getLogger(__name__)


class LlmStages:
    """The LLM stage of each tenant that configures `llm.models.classify`, made on first use
    and made again when the tenant's resources are reloaded."""

    def __init__(self) -> None:
        self._stages: dict[int, tuple[TenantResources, LlmStage | None]] = {}
        self._extractions: dict[int, tuple[TenantResources, LlmExtraction | None]] = {}
        self._summaries: dict[int, tuple[TenantResources, LlmSummary | None]] = {}
        self._lock = threading.Lock()

    def summary_for(self, resources: TenantResources) -> LlmSummary | None:
        """The tenant's conversation summariser; None without a `summarise` model."""
        with self._lock:
            cached = self._summaries.get(resources.tenant_id)
            if cached is not None and cached[0] is resources:
                return cached[1]
            summary = build_llm_summary(resources)
            self._summaries[resources.tenant_id] = (resources, summary)
            return summary

    def extraction_for(self, resources: TenantResources) -> LlmExtraction | None:
        """The tenant's LLM extraction; None without an `extract` model or a usable client."""
        with self._lock:
            cached = self._extractions.get(resources.tenant_id)
            if cached is not None and cached[0] is resources:
                return cached[1]
            extraction = build_llm_extraction(resources)
            self._extractions[resources.tenant_id] = (resources, extraction)
            return extraction

    def for_tenant(self, resources: TenantResources) -> LlmStage | None:
        with self._lock:
            cached = self._stages.get(resources.tenant_id)
            if cached is not None and cached[0] is resources:
                return cached[1]
            stage = build_llm_stage(resources)
            self._stages[resources.tenant_id] = (resources, stage)
            return stage


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
