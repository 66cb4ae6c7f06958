"""Storage: Django ORM models over SQLite (embedded) or PostgreSQL (production).

One Django app per domain package (``sources``, ``family``, ...), each with
the same few files: ``apps.py``, ``models.py``, ``store.py`` (the adapter the
core services call) and its migrations.
"""
