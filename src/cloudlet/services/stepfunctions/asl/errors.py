"""The error every ASL evaluation raises: a States error name and AWS's cause text.

A ``StatesError`` is what a state fails with. The interpreter matches its ``error`` against
``Retry``/``Catch`` ``ErrorEquals`` and, uncaught, fails the execution with it. The ``cause``
is the exact text AWS puts in the history event and in ``DescribeExecution`` (recorded in
``../shared/aws-reference/stepfunctions``).
"""

from __future__ import annotations

# The predefined error names (the developer guide's "Error names" list).
ALL = "States.ALL"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
TASK_FAILED = "States.TaskFailed"
PERMISSIONS = "States.Permissions"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
BRANCH_FAILED = "States.BranchFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
RUNTIME = "States.Runtime"


class StatesError(Exception):
    """A state's failure: ``error`` (a name ``ErrorEquals`` matches) and ``cause`` (AWS's text)."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause
