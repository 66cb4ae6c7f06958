"""Record linkage: the engine protocol, guards, explanations, evaluation, file mappings.

Import the module you need (``famlink.core.linkage.engine``, ``.explain``, ...):
this package imports nothing, so a web page that reads links' stored evidence
does not load pandas with the engine protocol.
"""
