"""The CRM describe drift report: jsforce-style type declarations read, compared with the
fake's describe (a hand-written fragment in jsforce's format, not jsforce's file)."""

from __future__ import annotations

from pathlib import Path

from harness.crm_drift import Documented, compare, main, parse_schema, render

FRAGMENT = """\
type Fields$Account = {
  //
  Id: string;
  Name: string;
  Phone: string | null;
  NumberOfEmployees: string | null;
  Rating: string | null;
};

type Fields$Nothing = {
  //
  Id: string;
};
"""


def test_parse_reads_kinds_and_nullability() -> None:
    parsed = parse_schema(FRAGMENT)
    assert set(parsed) == {"Account", "Nothing"}
    assert parsed["Account"]["Phone"] == Documented("string", True)
    assert parsed["Account"]["Name"] == Documented("string", False)


def test_compare_names_missing_invented_and_kind_differences(tmp_path: Path) -> None:
    [account] = compare(parse_schema(FRAGMENT))
    assert account.name == "Account" and account.documented == 5
    assert "Rating" in account.missing  # documented, not served by the fake
    assert "Industry" in account.invented  # served, not in this fragment
    assert "NumberOfEmployees: number (Salesforce string)" in account.kind
    assert "| Account | 5 |" in render([account])
    schema = tmp_path / "standard-schema.ts"
    schema.write_text(FRAGMENT)
    assert main(["--schema", str(schema)]) == 0
    assert main(["--schema", str(schema), "--strict"]) == 1
