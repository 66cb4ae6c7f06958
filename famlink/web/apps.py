from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "famlink.web"
    label = "web"
    verbose_name = "Web pages"
