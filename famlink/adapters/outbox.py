"""The embedded default's outbox: messages to parents written to files only famlink's user can read.

Django's file-based email backend creates its folder and files under the
umask (0755 and 0644 with the usual 022); a message about a family's
request is personal data, so this one makes them 0700 and 0600.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail.backends import filebased

from famlink.core.private_files import private_file, private_folder


class PrivateOutbox(filebased.EmailBackend):
    def __init__(self, file_path: str | None = None, **kwargs: Any) -> None:
        private_folder(file_path or settings.EMAIL_FILE_PATH)
        super().__init__(file_path=file_path, **kwargs)

    def open(self) -> bool:
        if self.stream is None:
            private_file(self._get_filename())
        return bool(super().open())
