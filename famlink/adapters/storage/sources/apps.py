from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "famlink.adapters.storage.sources"
    label = "sources"
    verbose_name = "Organisations, sources, extracts and records"
