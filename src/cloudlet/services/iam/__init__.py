"""AWS IAM."""
