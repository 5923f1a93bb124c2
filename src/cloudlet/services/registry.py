"""The services Cloudlet serves: botocore model names and the providers that implement them."""

from __future__ import annotations

# Every service routed by the gateway (botocore model names).
SERVICES: tuple[str, ...] = (
    "sqs",
    "sns",
    "dynamodb",
    "dynamodbstreams",
    "s3",
    "s3control",
    "lambda",
    "stepfunctions",
    "events",
    "pipes",
    "scheduler",
    "apigateway",
    "apigatewayv2",
    "apigatewaymanagementapi",
    "kinesis",
    "firehose",
    "logs",
    "cloudwatch",
    "xray",
    "secretsmanager",
    "ssm",
    "sts",
    "iam",
    "kms",
    "cloudformation",
)

# Providers written so far, as "module:Class"; the others answer NotImplemented (501).
PROVIDERS: dict[str, str] = {
    "dynamodb": "cloudlet.services.dynamodb.provider:DynamoDBProvider",
    "dynamodbstreams": "cloudlet.services.dynamodbstreams.provider:DynamoDBStreamsProvider",
    "events": "cloudlet.services.events.provider:EventsProvider",
    "firehose": "cloudlet.services.firehose.provider:FirehoseProvider",
    "iam": "cloudlet.services.iam.provider:IamProvider",
    "kinesis": "cloudlet.services.kinesis.provider:KinesisProvider",
    "kms": "cloudlet.services.kms.provider:KmsProvider",
    "lambda": "cloudlet.services.awslambda.provider:LambdaProvider",
    "logs": "cloudlet.services.logs.provider:LogsProvider",
    "s3": "cloudlet.services.s3.provider:S3Provider",
    "s3control": "cloudlet.services.s3control.provider:S3ControlProvider",
    "sns": "cloudlet.services.sns.provider:SnsProvider",
    "sqs": "cloudlet.services.sqs.provider:SqsProvider",
    "ssm": "cloudlet.services.ssm.provider:SsmProvider",
    "sts": "cloudlet.services.sts.provider:StsProvider",
    "stepfunctions": "cloudlet.services.stepfunctions.provider:StepFunctionsProvider",
    "secretsmanager": "cloudlet.services.secretsmanager.provider:SecretsManagerProvider",
}

# The store component whose tables hold each service's state: a service whose component
# exists is started with the server, so its background work resumes (TTL, lifecycle, metrics).
COMPONENTS: dict[str, str] = {
    "dynamodb": "dynamodb",
    "dynamodbstreams": "dynamodbstreams",
    "events": "eventbridge",
    "firehose": "firehose",
    "iam": "iam",
    "kinesis": "kinesis",
    "kms": "kms",
    "lambda": "lambda",
    "logs": "logs",
    "s3": "s3",
    "s3control": "s3control",
    "sns": "sns",
    "sqs": "sqs",
    "ssm": "ssm",
    "secretsmanager": "secretsmanager",
    "stepfunctions": "stepfunctions",
}

# Signing names that endpoint rules, not the models, give some operations of a routed
# service (S3 Express's ListDirectoryBuckets, S3 Object Lambda's WriteGetObjectResponse).
SIGNING_ALIASES: dict[str, str] = {"s3express": "s3", "s3-object-lambda": "s3"}

# Query-compatible JSON services whose query form follows the query model they had before
# (the one older SDKs are built from): the package whose ``models/`` directory holds it, laid
# out as a botocore data directory (protocol/model.py: protocol_model). SQS's is botocore
# 1.31.80's sqs/2012-11-05/service-2.json as released (the last with "protocol": "query"), gzipped.
QUERY_MODELS: dict[str, str] = {"sqs": "cloudlet.services.sqs"}

# Services that keep a compressed request body as it was sent (S3 stores a gzip object).
KEEP_CONTENT_ENCODING: frozenset[str] = frozenset({"s3"})

# Entry points beyond the AWS API that services claim (gateway/entrypoints.py), as
# "module:NAME" of a tuple of EntryPoint; loaded without the services' providers. Asked in this
# order: Lambda's (``/_lambda/`` paths, function URL hosts) and SNS's (``/_sns/`` signing
# certificate) before S3's, whose browser and form entry points would otherwise take their
# ``/<bucket name>`` paths.
ENTRY_POINTS: dict[str, str] = {
    "lambda": "cloudlet.services.awslambda.entry:ENTRY_POINTS",
    "sns": "cloudlet.services.sns.entry:ENTRY_POINTS",
    "s3": "cloudlet.services.s3.entry:ENTRY_POINTS",
}

# Consumers of the internal event channel: provider -> topic prefixes it takes.
CONSUMERS: dict[str, tuple[str, ...]] = {"events": ("events.bus.",)}
