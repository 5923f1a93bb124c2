"""Policy evaluations per second, in process (issue 13's figure): Cloudlet's evaluator
(core/policy) deciding one request against a 10-statement identity policy with a deny, a policy
variable and conditions (IpAddress, StringEquals on a principal tag). No peer has an evaluator
callable in process, so there is no ratio.

    python bench/policy_eval.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import time

from cloudlet.core.policy import Request, Source, context_of, evaluate, parse_policy


def _statement(effect: str, action: str, resource: str = "*", **extra: object) -> dict[str, object]:
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def ten_statement_policy() -> Source:
    statements = [_statement("Allow", f"svc{i}:Get*", f"arn:aws:svc{i}:*:*:thing/{i}/*") for i in range(7)]
    statements += [
        _statement("Deny", "s3:DeleteBucket"),
        _statement(
            "Allow",
            "s3:*",
            "arn:aws:s3:::home/${aws:username}/*",
            Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        ),
        _statement("Allow", "sqs:*", Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}}),
    ]
    text = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return Source(parse_policy(text), "bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    policy = ten_statement_policy()
    context = context_of(
        {"aws:username": "alice", "aws:SourceIp": "10.1.2.3", "aws:PrincipalTag/team": "red"}
    )
    request = Request("s3:GetObject", "arn:aws:s3:::home/alice/file", context)
    if evaluate(request, [policy]).decision != "allowed":
        raise SystemExit("the benchmark request must be allowed")
    done, start = 0, time.perf_counter()
    deadline = start + args.seconds
    while time.perf_counter() < deadline:
        for _ in range(1000):
            evaluate(request, [policy])
        done += 1000
    rate = done / (time.perf_counter() - start)
    print(f"policy_eval: {rate:,.0f} evaluations/s (10-statement policy, one process)")


if __name__ == "__main__":
    main()
