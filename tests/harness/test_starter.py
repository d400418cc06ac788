"""fintwin init: the starter manifest, conftest and scenario, and that they run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main as cli
from harness.manifest import load_manifest
from harness.starter import LANGUAGES, InitError, init

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("language", "argv0", "ca"), [
    ("python", "python", "SSL_CERT_FILE"), ("node", "node", "NODE_EXTRA_CA_CERTS"),
    ("other", "./bin/my-service", "SUT_CA_BUNDLE")])
def test_each_language_gets_a_valid_manifest_a_conftest_and_a_scenario(
        tmp_path: Path, language: str, argv0: str, ca: str) -> None:
    done = init(tmp_path / "acme-sync", language=language)
    assert sorted(p.relative_to(tmp_path / "acme-sync").as_posix() for p in done.files) == [
        "fintwin-sut.toml", "fintwin/conftest.py", "fintwin/test_quote_to_cash.py"]
    manifest = load_manifest(done.manifest)
    assert manifest.name == "acme-sync"
    assert manifest.start.command is not None and manifest.start.command[0] == argv0
    assert manifest.env["ca_bundle"] == ca
    assert not manifest.multi_tenant and manifest.admin.idle is None
    assert done.next_command.split()[0].endswith("pytest") and "fintwin" in done.next_command
    for path in done.files:
        if path.suffix == ".py":
            compile(path.read_text(), str(path), "exec")
    assert set(LANGUAGES) == {"python", "node", "other"}


def test_nothing_is_overwritten_without_force(tmp_path: Path) -> None:
    (tmp_path / "fintwin").mkdir()
    mine = tmp_path / "fintwin" / "conftest.py"
    mine.write_text("# ours\n")
    with pytest.raises(InitError, match=r"not overwriting .*conftest\.py \(give --force"):
        init(tmp_path)
    assert mine.read_text() == "# ours\n"
    assert not (tmp_path / "fintwin-sut.toml").exists(), "nothing written at all"
    init(tmp_path, force=True, name="ours")
    assert "pytest_configure" in mine.read_text()


def test_the_command_prints_what_it_wrote_and_what_to_run_next(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli(["init", "--language", "node", "--dir", "repo"]) == 0
    out = capsys.readouterr().out
    assert "wrote repo/fintwin-sut.toml" in out
    assert "pytest repo/fintwin --fintwin-seed 1" in out
    assert "scenarios/ --fintwin-sut repo/fintwin-sut.toml" in out
    assert cli(["init", "--dir", "repo"]) == 1
    assert "give --force" in capsys.readouterr().err
    assert cli(["init", "--dir", "repo", "--force"]) == 0


def test_the_starter_runs_against_a_real_service(tmp_path: Path) -> None:
    """The generated conftest and scenario, unchanged, against the reference integration
    layer run single-tenant from its environment: only the manifest's command, variable
    names and receiver paths are the reference's."""
    done = init(tmp_path, language="python", name="reference-single-tenant")
    text = done.manifest.read_text()
    text = re.sub(r"command = \[.*\]", 'command = ["fintwin", "serve", "integration-layer", '
                  '"--port", "{port}"]', text)
    # The reference's own variable names, from its manifest.
    reference = load_manifest(ROOT / "integration_layer" / "fintwin-sut.toml")
    for key, name in reference.env.items():
        text = re.sub(rf'^{key} = "[A-Z_]+"', f'{key} = "{name}"', text, flags=re.M)
    text = text.replace('[webhooks]', '[webhooks]\n# the reference names its connection')
    text = text.replace('billing = "/webhooks/stripe"',
                        'billing = "/webhooks/billing/{connection}"')
    text = text.replace('crm = "/webhooks/salesforce"', 'crm = "/webhooks/crm/{connection}"')
    text = text.replace('admin_token = "FINTWIN_ADMIN_TOKEN"',
                        'admin_token = "FINTWIN_ADMIN_TOKEN"\nconnection_id = "FINTWIN_CONNECTION"')
    text = text.replace('# idle = "/admin/idle"', 'idle = "/admin/idle"')
    done.manifest.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([sys.executable, "-m", "pytest", "fintwin", "-q", "-p",
                             "no:cacheprovider", "--fintwin-seed", "1"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=280, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
    assert "stack local" in result.stdout, "no in-process factory: the local stack by default"
