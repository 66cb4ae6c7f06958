"""Keys for signed tree heads live in a temporary data folder, never the repo."""

from tests.common.database import data_dir

__all__ = ["data_dir"]
