"""Every recorded scenario listed in ``matching.txt`` still replays as AWS recorded it.

``matching.txt`` holds the scenario ids the replay runner (``replay.py``) found to match; regenerate it
with ``python -m tests.services.stepfunctions.corpus.replay --write-matching``. A scenario that no longer
matches fails with its differences.
"""

from __future__ import annotations

import pytest

from . import replay, scenarios

IDS = [line.strip() for line in replay.MATCHING_FILE.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def replayer(cloudlet) -> replay.Replayer:
    return replay.Replayer(cloudlet)


@pytest.fixture(scope="module")
def corpus() -> dict[str, scenarios.Scenario]:
    if scenarios.reference_root() is None:
        pytest.skip("the recorded AWS answers (aws-reference/stepfunctions) are not here")
    return {item.id: item for item in scenarios.load()}


def test_matching_list_is_sorted_and_unique() -> None:
    assert sorted(set(IDS)) == IDS


@pytest.mark.parametrize("scenario_id", IDS)
def test_scenario_replays_as_recorded(
    scenario_id: str, corpus: dict[str, scenarios.Scenario], replayer: replay.Replayer
) -> None:
    item = corpus.get(scenario_id)
    assert item is not None, f"{scenario_id} is not in the corpus any more"
    outcome = replayer.replay(item)
    assert outcome.status == "matched", "\n".join([outcome.reason, *outcome.differences[:20]])
