"""More bucket sub-resources, stored and returned as S3 does (the S3 provider mixes these in)."""

from __future__ import annotations


class BucketConfigs:
    """Put/Get/Delete/List of bucket configurations beyond those in settings.py."""
