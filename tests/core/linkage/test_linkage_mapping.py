"""A bad mapping or file gives a clear error naming the file and the problem."""

import pytest

from famlink.core.errors import FamlinkError
from famlink.core.linkage.link_file import link_file


class NeverLinks:
    """An engine each error must come before: linking at all fails the test."""

    name = "never"

    def link(self, *args, **kwargs):
        raise AssertionError("linked records despite a bad mapping or file")

    link_new = link


ENGINE = NeverLinks()


def test_missing_id(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\nsurname = "surname"\n')
    data = tmp_path / "d.csv"
    data.write_text("uid,surname\n1,smith\n")
    with pytest.raises(FamlinkError, match=r"m\.toml.*missing \"id\""):
        link_file(data, mapping, tmp_path / "out.csv", ENGINE)


def test_unknown_field_and_missing_column(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("uid,surname\n1,smith\n")
    bad_field = tmp_path / "f.toml"
    bad_field.write_text('id = "uid"\n[columns]\nshoe_size = "surname"\n')
    with pytest.raises(FamlinkError, match='unknown field "shoe_size"'):
        link_file(data, bad_field, tmp_path / "out.csv", ENGINE)
    bad_column = tmp_path / "c.toml"
    bad_column.write_text('id = "uid"\n[columns]\nsurname = "last_name"\n')
    with pytest.raises(FamlinkError, match=r"d\.csv.*last_name"):
        link_file(data, bad_column, tmp_path / "out.csv", ENGINE)
    assert not (tmp_path / "out.csv").exists()


def test_not_toml_and_missing_file(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("id = \n")
    with pytest.raises(FamlinkError, match=r"broken\.toml.*not valid TOML"):
        link_file(tmp_path / "d.csv", broken, tmp_path / "out.csv", ENGINE)
    ok = tmp_path / "ok.toml"
    ok.write_text('id = "uid"\n[columns]\nsurname = "surname"\n')
    with pytest.raises(FamlinkError, match=r"nowhere\.csv.*not found"):
        link_file(tmp_path / "nowhere.csv", ok, tmp_path / "out.csv", ENGINE)


def test_duplicate_ids(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("uid,surname\n1,smith\n1,jones\n")
    ok = tmp_path / "ok.toml"
    ok.write_text('id = "uid"\n[columns]\nsurname = "surname"\n')
    with pytest.raises(FamlinkError, match="not unique: 1"):
        link_file(data, ok, tmp_path / "out.csv", ENGINE)

