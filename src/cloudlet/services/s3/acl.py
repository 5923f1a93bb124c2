"""Access control lists of buckets and objects, stored and returned as S3 does (not enforced)."""

from __future__ import annotations


class Acls:
    """Get/Put of bucket and object ACLs (the S3 provider mixes these in)."""
