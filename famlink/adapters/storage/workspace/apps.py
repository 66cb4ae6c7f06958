from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "famlink.adapters.storage.workspace"
    label = "workspace"
    verbose_name = "The practitioners' workspace"
    default_auto_field = "django.db.models.BigAutoField"
