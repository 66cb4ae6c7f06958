from django.apps import AppConfig


class FamilyConfig(AppConfig):
    name = "famlink.adapters.storage.family"
    label = "family"
    verbose_name = "Persons, households and relationships"
