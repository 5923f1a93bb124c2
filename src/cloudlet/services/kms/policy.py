"""The key policies KMS writes: the default key policy of a customer managed key and the policy
of an AWS managed key, rendered as AWS renders them (two-space Jackson style)."""

from __future__ import annotations

import json
from typing import Any


def render(document: dict[str, Any]) -> str:
    """JSON as KMS answers it: ``"key" : value`` pairs, lists opened on the same line.
    unverified: the exact whitespace of AWS's rendering."""
    text = json.dumps(document, indent=2).replace('": ', '" : ')
    return text.replace("[\n    {", "[ {").replace("}\n  ]", "} ]")


def default_policy(partition: str, account: str) -> str:
    """The default key policy (KMS developer guide, "Default key policy")."""
    return render(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )


def managed_policy(partition: str, account: str, region: str, service: str) -> str:
    """The policy of the AWS managed key ``aws/<service>``: use through the service by principals
    of the account, reads by the account. unverified: AWS's statement ids and exact actions."""
    return render(
        {
            "Version": "2012-10-17",
            "Id": f"auto-{service}-2",
            "Statement": [
                {
                    "Sid": f"Allow access through {service} for all principals in the account that are authorized to use {service}",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:ViaService": f"{service}.{region}.amazonaws.com",
                            "kms:CallerAccount": account,
                        }
                    },
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
                    "Resource": "*",
                },
            ],
        }
    )
