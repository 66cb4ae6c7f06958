"""WSGI entry point for gunicorn (``famlink serve``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")
application = get_wsgi_application()

from famlink.adapters import pdf  # noqa: E402  (needs Django set up)
from famlink.adapters.storage.governance.audit.sequencer import start_sequencer  # noqa: E402

pdf.start()  # this worker's PDF renderer, ready before the first download
start_sequencer()  # this worker's audit sequencer: its requests only write their entries ahead
