"""Print the recorded-scenario corpus: ``python -m tests.services.stepfunctions.corpus.report`` (repo root).

How many scenarios there are, how many are paired with a template, what they need (integrations,
services Cloudlet does not have), and which could not be paired. ``--list`` adds every run's pairing.
"""

from __future__ import annotations

import sys
from collections import Counter

from . import scenarios

# What the runs need, in the order the report prints them, with the words it prints.
NEED_LABELS = {
    "lambda": "Lambda",
    "sqs": "SQS",
    "sns": "SNS",
    "dynamodb": "DynamoDB",
    "eventbridge": "EventBridge",
    "stepfunctions": "nested Step Functions (states:startExecution, aws-sdk:sfn)",
    "activity": "activities",
    "callback": "callbacks / task tokens",
    "sync-job": ".sync (run a job and wait)",
    "http": "HTTP tasks",
    "aws-sdk": "aws-sdk integrations",
    "s3": "S3 (ItemReader/ResultWriter, s3 tasks)",
    "distributed-map": "distributed Map (map runs)",
    "credentials": "Credentials (task role)",
    "mocks": "mock configs (local mocking)",
}
# Services a run can reach that Cloudlet serves.
CLOUDLET_SERVICES = {
    "lambda",
    "sqs",
    "sns",
    "dynamodb",
    "eventbridge",
    "stepfunctions",
    "s3",
    "secretsmanager",
    "kms",
}
OTHER_SERVICES = {
    "apigateway",
    "ecs",
    "batch",
    "glue",
    "athena",
    "eks",
    "sagemaker",
    "codebuild",
    "emr",
    "bedrock",
}


def other_services(needs: frozenset[str]) -> set[str]:
    """Services a run needs that Cloudlet does not have."""
    return {n.removeprefix("other:") for n in needs if n.startswith("other:") or n in OTHER_SERVICES}


def summary(items: list[scenarios.Scenario]) -> dict[str, object]:
    """The numbers the report prints (also used by the docs and the tests)."""
    runs = [s for s in items if s.kind != "api"]
    executions = [p for s in runs for p in s.pairings]
    by_status = Counter(s.pairing for s in runs)
    history_only = sum(
        1 for s in runs if s.pairing == "paired" and all("name" not in p.basis for p in s.pairings)
    )
    needs = Counter(n for s in runs for n in s.needs)
    others = Counter(o for s in runs for o in other_services(s.needs))
    return {
        "scenarios": len(items),
        "snapshots": len({s.snapshot for s in items}),
        "templates": len(scenarios.templates()),
        "unparsable_templates": [t.path for t in scenarios.templates() if t.error],
        "runs": len(runs),
        "standard": sum(1 for s in runs if s.mode == "STANDARD"),
        "express": sum(1 for s in runs if s.mode == "EXPRESS"),
        "api_only": len(items) - len(runs),
        "executions": len(executions),
        "paired": by_status["paired"],
        "paired_by_history": history_only,
        "paired_with_name": by_status["paired"] - history_only,
        "named": by_status["named"],
        "ambiguous": by_status["ambiguous"],
        "unmatched": by_status["unmatched"],
        "edited_templates": sum(1 for s in runs for p in s.pairings if p.edited),
        "templated": sum(1 for s in runs if s.template_substitutions),
        "flow_only": sum(1 for s in runs if s.flow_only),
        "flow_only_paired": sum(1 for s in runs if s.flow_only and s.pairing == "paired"),
        "needs": dict(needs),
        "other_services": dict(others),
        "needs_other_service": sum(1 for s in runs if other_services(s.needs)),
        "templates_used": len({t.path for s in runs for t in s.templates}),
    }


def main(argv: list[str]) -> int:
    items = scenarios.load()
    if not items:
        print(
            "No recordings found (looked for <repo>/../shared/aws-reference and /work/shared/aws-reference)."
        )
        return 1
    numbers = summary(items)
    print(
        f"Recorded Step Functions scenarios: {numbers['scenarios']} test ids in {numbers['snapshots']} "
        f"snapshot files; {numbers['templates']} templates ({len(numbers['unparsable_templates'])} unparsable)"
    )
    print(
        f"  runs (a recorded execution): {numbers['runs']} ({numbers['standard']} STANDARD, "
        f"{numbers['express']} EXPRESS), {numbers['executions']} executions; api-only (no run): "
        f"{numbers['api_only']}"
    )
    print(
        f"Pairing of runs: {numbers['paired']} paired unambiguously ({numbers['paired_by_history']} by the "
        f"history alone, {numbers['paired_with_name']} with the test id as tie-breaker), "
        f"{numbers['named']} named by the test id only (no state recorded), {numbers['ambiguous']} ambiguous, "
        f"{numbers['unmatched']} unmatched; {numbers['templates_used']} templates used"
    )
    print(
        f"  templates with substitutions (_tbd_, %X%, <%X%>): {numbers['templated']} runs; executions whose "
        f"template was apparently edited before the run: {numbers['edited_templates']}"
    )
    print("Needs (runs):")
    print(
        f"  {numbers['flow_only']:4d}  only Pass/Choice/Wait/Succeed/Fail/Parallel/Map "
        f"({numbers['flow_only_paired']} of them paired)"
    )
    needs: dict[str, int] = numbers["needs"]  # type: ignore[assignment]
    for key, label in NEED_LABELS.items():
        print(f"  {needs.get(key, 0):4d}  {label}")
    for key in sorted(set(needs) - set(NEED_LABELS) - OTHER_SERVICES):
        if not key.startswith("other:"):
            print(f"  {needs[key]:4d}  {key}")
    others: dict[str, int] = numbers["other_services"]  # type: ignore[assignment]
    listed = ", ".join(f"{name} {count}" for name, count in sorted(others.items()))
    print(f"  {numbers['needs_other_service']:4d}  services Cloudlet does not have ({listed})")
    print("Not paired:")
    for item in items:
        for execution, pairing in zip(item.executions, item.pairings, strict=True):
            if pairing.status == "paired":
                continue
            shown = pairing.template.path if pairing.template else ", ".join(pairing.candidates) or "-"
            print(
                f"  {pairing.status:9s} {item.snapshot} :: {item.test} [{execution.step}] {pairing.basis}: {shown}"
            )
    if "--list" in argv:
        print("Pairings:")
        for item in items:
            for execution, pairing in zip(item.executions, item.pairings, strict=True):
                target = pairing.template.path if pairing.template else "-"
                print(f"  {item.id} [{execution.step}] {pairing.status} ({pairing.basis}) -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
