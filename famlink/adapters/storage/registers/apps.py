from django.apps import AppConfig


class RegistersConfig(AppConfig):
    name = "famlink.adapters.storage.registers"
    label = "registers"
    verbose_name = "Algorithm and contractor registers"
    default_auto_field = "django.db.models.BigAutoField"
