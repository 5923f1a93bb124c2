"""S3: buckets and objects on disk, multipart uploads, versioning, presigned URLs, event notifications."""
