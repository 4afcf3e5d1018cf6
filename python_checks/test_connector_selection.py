"""Selecting the connectors in dbt_project.yml (as the README offers) works as with --vars.

The adapter models were enabled from dbt_project.yml's models: block, which renders before
the project's vars exist: with billing_source / crm_source set under vars: the adapters
stayed disabled while staging referred to them, and every dbt command failed.
"""

from __future__ import annotations

from pathlib import Path

from crm_project import dbt, project_copy


def test_sources_selected_under_vars_in_dbt_project_yml_enable_their_adapters(tmp_path: Path):
    project = project_copy(tmp_path / "project", [])
    config = project / "dbt_project.yml"
    text = config.read_text()
    for line in ("  billing_source: contract\n", "  crm_source: contract\n"):
        assert line in text
    config.write_text(
        text.replace("  billing_source: contract\n", "  billing_source: stripe\n").replace(
            "  crm_source: contract\n", "  crm_source: salesforce\n"
        )
    )
    done = dbt(project, tmp_path / "w.duckdb", "ls", "--resource-type", "model", variables={})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    listed = {line.rsplit(".", 1)[-1] for line in done.stdout.split() if ".sources." in line}
    adapters = {
        path.stem
        for folder in ("stripe", "salesforce")
        for path in (project / "models" / "sources" / folder).glob("*.sql")
    }
    assert len(adapters) == 19
    assert listed == adapters
