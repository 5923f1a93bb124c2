"""DynamoDB Streams: the read API over the change records kept by the DynamoDB provider."""
