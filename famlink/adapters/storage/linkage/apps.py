from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "famlink.adapters.storage.linkage"
    label = "linkage"
