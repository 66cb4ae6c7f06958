"""Serve the web app, and the demo that the README's first command runs."""

from __future__ import annotations

import os
import sys

import click

from famlink import config
from famlink.cli.main import cli, setup_django
from famlink.cli.progress import progress_bar
from famlink.core.private_files import private_file


def _serve(port: int, workers: int) -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    click.echo(f"Serving famlink on http://127.0.0.1:{port}/ (Ctrl+C to stop)")
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    os.execv(
        gunicorn,
        [gunicorn, "famlink.wsgi:application", "--config", "python:famlink.gunicorn_conf", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--access-logfile", str(private_file(config.data_dir() / "access.log")), "--log-level", "warning"],
    )


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
def serve(port: int, workers: int) -> None:
    """Serve the web app on the configured database."""
    setup_django()
    _serve(port, workers)


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--families", type=click.IntRange(1, 100_000), default=300, show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare the demo data but do not start the web server.")
def demo(port: int, families: int, no_serve: bool) -> None:
    """Generate, ingest and link a demo dataset, then serve it. Safe to run again."""
    setup_django()
    from famlink.services.demo import prepare_demo

    with progress_bar("Preparing the demo") as progress:
        summary = prepare_demo(config.data_dir() / "demo", families=families, progress=progress)
    for line in summary.lines():
        click.echo(line)
    if not no_serve:
        _serve(port, 2)
