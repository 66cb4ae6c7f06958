"""Record linkage: one engine API, explanations, evaluation, file mappings."""

from famlink.core.linkage.engine import LinkageEngine, LinkageResult, get_engine
from famlink.core.linkage.explain import explain

__all__ = ["LinkageEngine", "LinkageResult", "explain", "get_engine"]
