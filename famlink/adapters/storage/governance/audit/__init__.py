"""The audit log in the database, in parts by job (docs/audit.md).

Each module imports only those below it, never one beside or above it
(an import-linter contract in pyproject.toml holds this):

- ``append``: an access's entry, written in its transaction or sent to the writer;
- ``sequencer``: gives committed pending entries their places, in one gap-free order;
- ``writer``: the audit writer process, which places the entries of reads in groups, and its SQL;
- ``placing``: numbering, hashing and moving pending entries into the log;
- ``tree``: the Merkle tree kept as tiles, for roots and proofs;
- ``heads``: the signed tree heads the database keeps;
- ``witness``: signed tree heads kept outside the database;
- ``rows``: the log's tables, its counter and a connection of its own.

Publishing a tree head, verifying the log and proving an entry are use
cases of these: ``famlink.services.governance.audit``.
"""
