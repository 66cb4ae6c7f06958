"""famlink's database engine for PostgreSQL: Django's, plus statements that travel with the COMMIT (``base``)."""
