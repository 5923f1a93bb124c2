"""S3 Control: access points and Object Lambda access points."""
