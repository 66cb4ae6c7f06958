from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "famlink.adapters.storage.accounts"
    label = "accounts"
    verbose_name = "Sign-in accounts"
