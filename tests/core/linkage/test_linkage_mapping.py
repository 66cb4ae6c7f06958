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



# the expert [linkage] table: every bad key or value names the key and the file
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from famlink.core.linkage.mapping import load_mapping  # noqa: E402

_BASE = 'id = "uid"\n[columns]\nfirst_name = "first"\nsurname = "last"\n[linkage]\n'
_BAD_VALUES = {
    "max_pairs": st.one_of(st.integers(max_value=999), st.just("lots"), st.booleans(), st.floats(0, 1e6)),
    "target_precision": st.one_of(st.floats(max_value=0.49), st.floats(min_value=1.0, max_value=5),
                                  st.just("high"), st.booleans()),
    "family_guards": st.one_of(st.sampled_from(["yes", "sometimes", ""]), st.integers()),
    "blocking_rules": st.one_of(st.just("l.surname = r.surname"), st.just([]), st.just([""]),
                                st.just(["surname = surname"]), st.just(["l.shoe_size = r.shoe_size"])),
    "compare": st.one_of(st.just([]), st.just("surname"), st.just(["email"]), st.just([1])),
}


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_bad_linkage_setting_names_its_key_and_the_file(tmp_path_factory, data):
    key = data.draw(st.sampled_from(sorted(_BAD_VALUES)))
    value = data.draw(_BAD_VALUES[key])
    mapping = tmp_path_factory.mktemp("m") / "expert.toml"
    mapping.write_text(_BASE + f"{key} = {_toml(value)}\n", encoding="utf-8")
    with pytest.raises(FamlinkError) as error:
        load_mapping(mapping)
    assert key in str(error.value) and "expert.toml" in str(error.value)


@settings(max_examples=30, deadline=None)
@given(key=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
def test_an_unknown_linkage_key_is_named(tmp_path_factory, key):
    known = {"max_pairs", "blocking_rules", "target_precision", "family_guards", "compare"}
    if key in known:
        return
    mapping = tmp_path_factory.mktemp("m") / "m.toml"
    mapping.write_text(_BASE + f"{key} = 1\n", encoding="utf-8")
    with pytest.raises(FamlinkError, match=f'unknown key "{key}" in \\[linkage\\]'):
        load_mapping(mapping)


def test_good_linkage_settings_are_read(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text(_BASE + 'max_pairs = 5_000_000\ntarget_precision = 0.99\nfamily_guards = "off"\n'
                       'blocking_rules = ["l.surname = r.surname AND l.birth_year = r.birth_year"]\n'
                       'compare = ["first_name", "surname"]\n', encoding="utf-8")
    read = load_mapping(mapping)
    assert (read.max_pairs, read.target_precision, read.family_guards) == (5_000_000, 0.99, False)
    assert read.blocking_rules == ("l.surname = r.surname AND l.birth_year = r.birth_year",)
    assert read.compare == ("first_name", "surname")
