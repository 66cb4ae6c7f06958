"""The audit log's use cases: publish a signed tree head, verify the log, prove an entry (docs/audit.md).

Each reads the log through ``famlink.adapters.storage.governance.audit``,
placing pending entries first, so that what it reads includes every entry
committed before it began.
"""
