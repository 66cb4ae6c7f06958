"""WSGI entry point for gunicorn (``famlink serve``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")
application = get_wsgi_application()
