"""The structure rules of dbt-bouncer.yml catch what they promise.

`make bouncer` (part of `make test`) runs dbt-bouncer on the demo build's manifest and
must pass. Here the project is parsed once and each rule is shown to bite: a manifest
changed in one place by hand (a staging model reading a mart, an intermediate model
reading a source, a model without its key test, a mart column without a description, a
mart whose description does not state its grain first, a mart without its contract)
fails exactly the rule about it, naming the model. And the dashboard reads exactly the
marts its dbt exposure lists. dbt-bouncer runs from .venv-bouncer, which `make test` and
`make pytest` install.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from expansion_metrics.settings import PROJECT_DIR

BOUNCER = PROJECT_DIR / ".venv-bouncer" / "bin" / "dbt-bouncer"
DBT = Path(sys.executable).with_name("dbt")
PROJECT = "model.expansion_metrics."


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("structure_target")
    done = subprocess.run(
        [str(DBT), "parse", "--project-dir", str(PROJECT_DIR), "--profiles-dir",
         str(PROJECT_DIR), "--vars", "{as_of_date: 2026-10-31}"],
        env={**os.environ, "DBT_TARGET_PATH": str(target), "DBT_WRITE_JSON": "true"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((target / "manifest.json").read_text(encoding="utf-8"))


def failed_checks(manifest: dict[str, Any], folder: Path) -> list[str]:
    """Run dbt-bouncer with the project's rules on `manifest`; the ids of failed checks
    (rule:index:model)."""
    assert BOUNCER.exists(), f"{BOUNCER} is missing: run `make bouncer` (make test does)"
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    rules = (PROJECT_DIR / "dbt-bouncer.yml").read_text(encoding="utf-8")
    config = folder / "dbt-bouncer.yml"
    config.write_text(rules.replace("dbt_artifacts_dir: target", f"dbt_artifacts_dir: {folder}"),
                      encoding="utf-8")  # fmt: skip
    results = folder / "results.json"
    done = subprocess.run(
        [str(BOUNCER), "--config-file", str(config), "--output-file", str(results)],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert results.exists(), done.stdout + done.stderr
    failed = [r["check_run_id"] for r in json.loads(results.read_text(encoding="utf-8"))
              if r["outcome"] != "success"]  # fmt: skip
    assert (done.returncode != 0) == bool(failed), done.stdout
    return failed


def staging_reads_a_mart(nodes: dict[str, Any]) -> str:
    nodes[PROJECT + "stg_billing__customers"]["depends_on"]["nodes"].append(PROJECT + "mart_nrr")
    return "check_lineage_permitted_upstream_models:*:stg_billing__customers"


def intermediate_reads_a_source(nodes: dict[str, Any]) -> str:
    node = nodes[PROJECT + "int_customer_months"]
    node["depends_on"]["nodes"].append("source.expansion_metrics.billing.customers")
    return "check_lineage_source_cannot_be_used:*:int_customer_months"


def model_without_key_test(nodes: dict[str, Any]) -> str:
    for name, node in list(nodes.items()):
        if (node.get("resource_type") == "test"
                and node.get("attached_node") == PROJECT + "int_customer_months"
                and (node.get("test_metadata") or {}).get("name") == "primary_key"):  # fmt: skip
            del nodes[name]
    return "check_model_has_tests_by_name:*:int_customer_months"


def mart_column_undescribed(nodes: dict[str, Any]) -> str:
    nodes[PROJECT + "mart_nrr"]["columns"]["nrr_pct"]["description"] = ""
    return "check_model_column_description_populated:*:mart_nrr"


def mart_without_its_grain(nodes: dict[str, Any]) -> str:
    node = nodes[PROJECT + "mart_nrr"]
    node["description"] = node["description"].split(". ", 1)[1]
    return "check_model_description_contains_regexp_pattern:*:mart_nrr"


def mart_without_contract(nodes: dict[str, Any]) -> str:
    node = nodes[PROJECT + "mart_expansion"]
    node["contract"]["enforced"] = node["config"]["contract"]["enforced"] = False
    return "check_model_has_contracts_enforced:*:mart_expansion"


def test_the_project_passes_its_rules(manifest: dict[str, Any], tmp_path: Path):
    assert failed_checks(manifest, tmp_path) == []


@pytest.mark.parametrize(
    "change",
    [staging_reads_a_mart, intermediate_reads_a_source, model_without_key_test,
     mart_column_undescribed, mart_without_its_grain, mart_without_contract],
    ids=lambda change: change.__name__,
)  # fmt: skip
def test_each_rule_catches_its_break(
    manifest: dict[str, Any], change: Callable[[dict[str, Any]], str], tmp_path: Path
):
    broken = copy.deepcopy(manifest)
    rule, _, model = change(broken["nodes"]).split(":")
    failed = [c.split(":") for c in failed_checks(broken, tmp_path)]
    assert [(c[0], c[-1]) for c in failed] == [(rule, model)], failed


def test_the_dashboard_reads_exactly_the_marts_its_exposure_lists(manifest: dict[str, Any]):
    """The exposure executive_dashboard is what dbt's lineage (and docs) show as the
    dashboard's inputs: every mart report.py queries is listed, and nothing else."""
    source = (PROJECT_DIR / "expansion_metrics" / "report.py").read_text(encoding="utf-8")
    queried = set(re.findall(r"\bmarts\.((?:fct|dim|mart)_[a-z_]+)", source))
    exposure = manifest["exposures"]["exposure.expansion_metrics.executive_dashboard"]
    listed = {node.removeprefix(PROJECT) for node in exposure["depends_on"]["nodes"]}
    assert queried and queried == listed, (sorted(queried - listed), sorted(listed - queried))
