"""``python -m famlink`` is the ``famlink`` command."""

from famlink.cli.main import main

main()
