"""IAM policies: parsing and validation (document), wildcard matching, conditions and the
evaluator that IAM's SimulatePolicy operations, STS trust checks and an enforcement mode call."""

from cloudlet.core.policy.document import Kind, Policy, PolicyError, Statement, parse_policy, policy_size
from cloudlet.core.policy.evaluator import Match, Request, Result, Source, context_of, evaluate

__all__ = [
    "Kind",
    "Match",
    "Policy",
    "PolicyError",
    "Request",
    "Result",
    "Source",
    "Statement",
    "context_of",
    "evaluate",
    "parse_policy",
    "policy_size",
]
