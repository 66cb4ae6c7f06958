"""The ``famlink`` command: parse, call one core function, print.

Errors meant for people (``FamlinkError``) become one line on stderr and exit
code 2; anything unexpected is logged in full to the data folder and shown as
one line, never as a traceback.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from typing import Any

import click

from famlink import config
from famlink.core.errors import FamlinkError
from famlink.core.private_files import private_file

COMMAND_MODULES = ("famlink.cli.data", "famlink.cli.serve", "famlink.cli.linkage", "famlink.cli.audit", "famlink.cli.governance", "famlink.cli.accounts", "famlink.cli.registers", "famlink.cli.backup",
                   "famlink.cli.workspace")


def setup_django(*, migrate: bool = True) -> None:
    """Configure Django and bring the database schema up to date (first use creates it).

    ``migrate=False`` leaves the database as it is: a backup copies it as found.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "famlink.settings")
    import django
    from django.core.management import call_command

    django.setup()
    if migrate:
        call_command("migrate", verbosity=0, interactive=False)


class FamlinkGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FamlinkError as error:
            click.echo(f"famlink: {error.text}", err=True)
            sys.exit(2)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("famlink: stopped", err=True)
            sys.exit(130)
        except Exception as exc:  # the one catch-all, at the edge
            log = private_file(config.data_dir() / "famlink.log")
            with log.open("a") as fh:
                fh.write(traceback.format_exc())
            logging.getLogger("famlink").debug("unexpected error", exc_info=True)
            # the type only: an error's own words (a database's, say) can quote the data it choked on
            click.echo(f"famlink: unexpected error ({type(exc).__name__}); details in {log}", err=True)
            sys.exit(1)


@click.group(cls=FamlinkGroup)
@click.version_option(package_name="famlink")
def cli() -> None:
    """famlink: family record linkage with the families' rights built in."""


def main() -> None:
    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(module)
    cli(prog_name="famlink")

