"""``famlink safeguarding notify-due``: families told when a withholding ends, once, however often it runs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.utils import timezone

from famlink.adapters.storage.governance.models import NotificationWithholding
from famlink.adapters.storage.rights.models import Message
from famlink.services.accounts.provisioning import create_parent
from famlink.services.workspace import break_glass
from tests.common import builders

pytestmark = pytest.mark.django_db
WHY = "Section 47 enquiry opened after a hospital referral; records needed to assess risk today."


def test_notify_due_tells_the_family_once_the_withholding_ends() -> None:
    import famlink.cli.governance  # noqa: F401  (registers the commands)
    from famlink.cli.main import cli

    fam = builders.family("Cli")
    cast = builders.break_glass_cast("c")
    create_parent("mum-cli", fam.mother, password="not-a-real-password-1")
    asked = break_glass.ask(cast.practitioner.user, fam.child.public_id, str(cast.lead.pk), WHY, "CP-C")
    held = break_glass.withhold(cast.lead.user, asked.pk, "Would tip off.", timezone.now() + timedelta(days=5))
    glass = break_glass.approve(cast.lead.user, asked.pk)
    runner = CliRunner()
    first = runner.invoke(cli, ["safeguarding", "notify-due", "--json"])
    assert first.exit_code == 0 and json.loads(first.output) == {"told": []} and not Message.objects.exists()
    NotificationWithholding.objects.filter(pk=held.pk).update(until=timezone.now() - timedelta(minutes=1))
    second = runner.invoke(cli, ["safeguarding", "notify-due"])
    assert second.exit_code == 0 and second.output.strip() == f"families told: 1 (authorisations {glass.pk})"
    again = runner.invoke(cli, ["safeguarding", "notify-due"])
    assert again.output.strip() == "families told: 0" and Message.objects.count() == 1
