"""Amazon Data Firehose."""
