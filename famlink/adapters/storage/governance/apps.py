from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "famlink.adapters.storage.governance"
    label = "governance"
