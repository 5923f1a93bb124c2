"""The interpreter of Step Functions: runs a definition, records its history, waits and
retries on the service clock, and checkpoints Standard executions."""
