"""``famlink workspace``: the data team puts a family on a caseload and takes it off, with one clear line when refused."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from famlink.adapters.storage.workspace.models import CaseAllocation
from tests.common import builders

pytestmark = pytest.mark.django_db


def test_allocate_and_end_allocation() -> None:
    import famlink.cli.workspace  # noqa: F401  (registers the commands)
    from famlink.cli.main import cli

    fam = builders.family("Cli")
    builders.staff(name="sw.jo")
    runner = CliRunner()
    result = runner.invoke(cli, ["workspace", "allocate", "--username", "sw.jo", "--person", fam.child.public_id,
                                 "--lead", "--contact", "01632 960002", "--case-reference", "CS-9"])
    assert result.exit_code == 0, result.output
    assert f"{fam.child.public_id} is on sw.jo's caseload" in result.output and "lead practitioner" in result.output
    held = CaseAllocation.objects.get()
    assert (held.contact, held.case_reference, held.part) == ("01632 960002", "CS-9", "lead")
    again = runner.invoke(cli, ["workspace", "allocate", "--username", "sw.jo", "--person", fam.child.public_id])
    assert again.exit_code == 2 and "already on sw.jo's caseload" in again.output
    ended = runner.invoke(cli, ["workspace", "end-allocation", "--username", "sw.jo", "--person", fam.child.public_id])
    assert ended.exit_code == 0 and "left sw.jo's caseload" in ended.output
    assert CaseAllocation.objects.get().to_date is not None
    nobody = runner.invoke(cli, ["workspace", "end-allocation", "--username", "nobody", "--person", fam.child.public_id])
    assert nobody.exit_code == 2 and "No member of staff called nobody" in nobody.output
