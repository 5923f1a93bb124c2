"""DynamoDB: tables, items, expressions, indexes, transactions, TTL and streams."""
