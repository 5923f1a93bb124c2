"""Settings for every test: Hypothesis without its timing checks (the 2-core CI machine runs two
workers and their servers; slow input generation there is load, not a bug)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "cloudlet",
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
    parent=settings.get_profile("default"),
)
settings.load_profile("cloudlet")
