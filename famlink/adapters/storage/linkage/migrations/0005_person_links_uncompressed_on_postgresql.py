"""PostgreSQL: store packed links without compression (``STORAGE EXTERNAL``).

A person's packed links over about 2 KB (a quarter of a run's rows at 100k
records) were compressed with pglz on every run; they compress poorly (record
ids and float weights), and the compression was a third of the time of
writing them (COPY of one run's rows: 0.69-0.77 s against 0.51-0.53 s at load
5-6). SQLite stores blobs as they are.
"""

from collections.abc import Callable
from typing import Any

from django.db import migrations


def _storage(mode: str) -> Callable[[Any, Any], None]:
    def apply(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model("linkage", "PersonLinks")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN links SET STORAGE {mode}")
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ('linkage', '0004_assignment_indexes_record_first'),
    ]

    operations = [
        migrations.RunPython(_storage("EXTERNAL"), _storage("EXTENDED"), elidable=False),
    ]
