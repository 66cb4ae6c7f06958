from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "famlink.adapters.storage.rights"
    label = "rights"
    verbose_name = "Families' rights requests and messages"
    default_auto_field = "django.db.models.BigAutoField"
