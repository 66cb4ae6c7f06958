"""Keys for signed tree heads live in a temporary data folder, never the repo (the storage tests' fixture)."""

from tests.adapters.storage.governance.conftest import data_dir

__all__ = ["data_dir"]
