"""Service-linked roles: the role name, the policy IAM attaches and whether a custom suffix
is allowed, per service principal. From roles created on AWS (recorded in
aws-reference/iam); the few marked below are from AWS's documentation only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class _Spec:
    service: str
    role: str
    policy: str
    suffix: bool = False
    description: str = ""


_SPECS = [
    _Spec(
        "accountdiscovery.ssm.amazonaws.com",
        "AWSServiceRoleForAmazonSSM_AccountDiscovery",
        "AWSSystemsManagerAccountDiscoveryServicePolicy",
    ),
    _Spec("acm.amazonaws.com", "AWSServiceRoleForCertificateManager", "CertificateManagerServiceRolePolicy"),
    _Spec("appmesh.amazonaws.com", "AWSServiceRoleForAppMesh", "AWSAppMeshServiceRolePolicy"),
    _Spec(
        "autoscaling-plans.amazonaws.com",
        "AWSServiceRoleForAutoScalingPlans_EC2AutoScaling",
        "AWSAutoScalingPlansEC2AutoScalingPolicy",
    ),
    _Spec(
        "autoscaling.amazonaws.com",
        "AWSServiceRoleForAutoScaling",
        "AutoScalingServiceRolePolicy",
        suffix=True,
    ),
    _Spec("backup.amazonaws.com", "AWSServiceRoleForBackup", "AWSBackupServiceLinkedRolePolicyForBackup"),
    _Spec("batch.amazonaws.com", "AWSServiceRoleForBatch", "BatchServiceRolePolicy"),
    _Spec(
        "cassandra.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_CassandraTable",
        "AWSApplicationAutoscalingCassandraTablePolicy",
    ),
    _Spec(
        "cks.kms.amazonaws.com",
        "AWSServiceRoleForKeyManagementServiceCustomKeyStores",
        "AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy",
    ),
    _Spec("cloudtrail.amazonaws.com", "AWSServiceRoleForCloudTrail", "CloudTrailServiceRolePolicy"),
    _Spec(
        "codestar-notifications.amazonaws.com",
        "AWSServiceRoleForCodeStarNotifications",
        "AWSCodeStarNotificationsServiceRolePolicy",
    ),
    _Spec("config.amazonaws.com", "AWSServiceRoleForConfig", "AWSConfigServiceRolePolicy"),
    _Spec(
        "connect.amazonaws.com",
        "AWSServiceRoleForAmazonConnect",
        "AmazonConnectServiceLinkedRolePolicy",
        suffix=True,
    ),
    _Spec(
        "dms-fleet-advisor.amazonaws.com",
        "AWSServiceRoleForDMSFleetAdvisor",
        "AWSDMSFleetAdvisorServiceRolePolicy",
    ),
    _Spec("dms.amazonaws.com", "AWSServiceRoleForDMSServerless", "AWSDMSServerlessServiceRolePolicy"),
    _Spec(
        "docdb-elastic.amazonaws.com",
        "AWSServiceRoleForDocDB-Elastic",
        "AmazonDocDB-ElasticServiceRolePolicy",
    ),
    _Spec(
        "ec2-instance-connect.amazonaws.com",
        "AWSServiceRoleForEc2InstanceConnect",
        "Ec2InstanceConnectEndpoint",
    ),
    _Spec(
        "ec2.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest",
        "AWSApplicationAutoscalingEC2SpotFleetRequestPolicy",
    ),
    _Spec("ecr.amazonaws.com", "AWSServiceRoleForECRTemplate", "ECRTemplateServiceRolePolicy"),
    _Spec("ecs.amazonaws.com", "AWSServiceRoleForECS", "AmazonECSServiceRolePolicy"),
    _Spec(
        "eks-connector.amazonaws.com",
        "AWSServiceRoleForAmazonEKSConnector",
        "AmazonEKSConnectorServiceRolePolicy",
    ),
    _Spec(
        "eks-fargate.amazonaws.com",
        "AWSServiceRoleForAmazonEKSForFargate",
        "AmazonEKSForFargateServiceRolePolicy",
    ),
    _Spec(
        "eks-nodegroup.amazonaws.com",
        "AWSServiceRoleForAmazonEKSNodegroup",
        "AWSServiceRoleForAmazonEKSNodegroup",
    ),
    _Spec("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS", "AmazonEKSServiceRolePolicy"),
    _Spec("elasticache.amazonaws.com", "AWSServiceRoleForElastiCache", "ElastiCacheServiceRolePolicy"),
    _Spec(
        "elasticbeanstalk.amazonaws.com",
        "AWSServiceRoleForElasticBeanstalk",
        "AWSElasticBeanstalkServiceRolePolicy",
    ),
    _Spec(
        "elasticfilesystem.amazonaws.com",
        "AWSServiceRoleForAmazonElasticFileSystem",
        "AmazonElasticFileSystemServiceRolePolicy",
    ),
    _Spec(
        "elasticloadbalancing.amazonaws.com",
        "AWSServiceRoleForElasticLoadBalancing",
        "AWSElasticLoadBalancingServiceRolePolicy",
    ),
    _Spec(
        "email.cognito-idp.amazonaws.com",
        "AWSServiceRoleForAmazonCognitoIdpEmailService",
        "AmazonCognitoIdpEmailServiceRolePolicy",
    ),
    _Spec(
        "emr-containers.amazonaws.com",
        "AWSServiceRoleForAmazonEMRContainers",
        "AmazonEMRContainersServiceRolePolicy",
    ),
    _Spec("emrwal.amazonaws.com", "AWSServiceRoleForEMRWAL", "EMRDescribeClusterPolicyForEMRWAL"),
    _Spec("fis.amazonaws.com", "AWSServiceRoleForFIS", "AmazonFISServiceRolePolicy"),
    _Spec("grafana.amazonaws.com", "AWSServiceRoleForAmazonGrafana", "AmazonGrafanaServiceLinkedRolePolicy"),
    _Spec("imagebuilder.amazonaws.com", "AWSServiceRoleForImageBuilder", "AWSServiceRoleForImageBuilder"),
    _Spec(
        "iotmanagedintegrations.amazonaws.com",
        "AWSServiceRoleForIoTManagedIntegrations",
        "AWSIoTManagedIntegrationsRolePolicy",
    ),
    _Spec("kafka.amazonaws.com", "AWSServiceRoleForKafka", "KafkaServiceRolePolicy"),
    _Spec("kafkaconnect.amazonaws.com", "AWSServiceRoleForKafkaConnect", "KafkaConnectServiceRolePolicy"),
    _Spec(
        "lakeformation.amazonaws.com",
        "AWSServiceRoleForLakeFormationDataAccess",
        "LakeFormationDataAccessServiceRolePolicy",
    ),
    _Spec("lex.amazonaws.com", "AWSServiceRoleForLexBots", "AmazonLexBotPolicy"),
    _Spec("lexv2.amazonaws.com", "AWSServiceRoleForLexV2Bots", "AmazonLexV2BotPolicy", suffix=True),
    _Spec("lightsail.amazonaws.com", "AWSServiceRoleForLightsail", "LightsailExportAccess"),
    _Spec("m2.amazonaws.com", "AWSServiceRoleForAWSM2", "AWSM2ServicePolicy"),
    _Spec("memorydb.amazonaws.com", "AWSServiceRoleForMemoryDB", "MemoryDBServiceRolePolicy"),
    _Spec("mq.amazonaws.com", "AWSServiceRoleForAmazonMQ", "AmazonMQServiceRolePolicy"),
    _Spec(
        "mrk.kms.amazonaws.com",
        "AWSServiceRoleForKeyManagementServiceMultiRegionKeys",
        "AWSKeyManagementServiceMultiRegionKeysServiceRolePolicy",
    ),
    _Spec(
        "notifications.amazonaws.com",
        "AWSServiceRoleForAwsUserNotifications",
        "AWSUserNotificationsServiceLinkedRolePolicy",
    ),
    _Spec(
        "observability.aoss.amazonaws.com",
        "AWSServiceRoleForAmazonOpenSearchServerless",
        "AmazonOpenSearchServerlessServiceRolePolicy",
    ),
    _Spec(
        "opensearchservice.amazonaws.com",
        "AWSServiceRoleForAmazonOpenSearchService",
        "AmazonOpenSearchServiceRolePolicy",
    ),
    _Spec("ops.apigateway.amazonaws.com", "AWSServiceRoleForAPIGateway", "APIGatewayServiceRolePolicy"),
    _Spec(
        "ops.emr-serverless.amazonaws.com",
        "AWSServiceRoleForAmazonEMRServerless",
        "AmazonEMRServerlessServiceRolePolicy",
    ),
    _Spec(
        "opsdatasync.ssm.amazonaws.com",
        "AWSServiceRoleForSystemsManagerOpsDataSync",
        "AWSSystemsManagerOpsDataSyncServiceRolePolicy",
    ),
    _Spec(
        "opsinsights.ssm.amazonaws.com",
        "AWSServiceRoleForAmazonSSM_OpsInsights",
        "AWSSSMOpsInsightsServiceRolePolicy",
    ),
    _Spec(
        "pullthroughcache.ecr.amazonaws.com",
        "AWSServiceRoleForECRPullThroughCache",
        "AWSECRPullThroughCache_ServiceRolePolicy",
    ),
    _Spec(
        "ram.amazonaws.com",
        "AWSServiceRoleForResourceAccessManager",
        "AWSResourceAccessManagerServiceRolePolicy",
    ),
    _Spec(
        "rds.amazonaws.com",
        "AWSServiceRoleForRDS",
        "AmazonRDSServiceRolePolicy",
        description="Allows Amazon RDS to manage AWS resources on your behalf",
    ),
    _Spec("redshift.amazonaws.com", "AWSServiceRoleForRedshift", "AmazonRedshiftServiceLinkedRolePolicy"),
    _Spec(
        "replication.cassandra.amazonaws.com",
        "AWSServiceRoleForKeyspacesReplication",
        "KeyspacesReplicationServiceRolePolicy",
    ),
    _Spec(
        "replication.ecr.amazonaws.com", "AWSServiceRoleForECRReplication", "ECRReplicationServiceRolePolicy"
    ),
    _Spec(
        "repository.sync.codeconnections.amazonaws.com",
        "AWSServiceRoleForGitSync",
        "AWSGitSyncServiceRolePolicy",
    ),
    _Spec(
        "resource-explorer-2.amazonaws.com",
        "AWSServiceRoleForResourceExplorer",
        "AWSResourceExplorerServiceRolePolicy",
    ),
    _Spec("rolesanywhere.amazonaws.com", "AWSServiceRoleForRolesAnywhere", "AWSRolesAnywhereServicePolicy"),
    _Spec("s3-outposts.amazonaws.com", "AWSServiceRoleForS3OnOutposts", "AWSS3OnOutpostsServiceRolePolicy"),
    _Spec("ses.amazonaws.com", "AWSServiceRoleForAmazonSES", "AmazonSESServiceRolePolicy"),
    _Spec("shield.amazonaws.com", "AWSServiceRoleForAWSShield", "AWSShieldServiceRolePolicy"),
    _Spec(
        "ssm-incidents.amazonaws.com",
        "AWSServiceRoleForIncidentManager",
        "AWSIncidentManagerServiceRolePolicy",
    ),
    _Spec("ssm-quicksetup.amazonaws.com", "AWSServiceRoleForSSMQuickSetup", "SSMQuickSetupRolePolicy"),
    _Spec(
        "ssm.amazonaws.com",
        "AWSServiceRoleForAmazonSSM",
        "AmazonSSMServiceRolePolicy",
        description="Provides access to AWS Resources managed or used by Amazon SSM.",
    ),
    _Spec(
        "sso.amazonaws.com",
        "AWSServiceRoleForSSO",
        "AWSSSOServiceRolePolicy",
        description="Service-linked role used by AWS SSO to manage AWS resources, including IAM roles, policies and SAML IdP on your behalf.",
    ),
    _Spec(
        "vpcorigin.cloudfront.amazonaws.com",
        "AWSServiceRoleForCloudFrontVPCOrigin",
        "AWSCloudFrontVPCOriginServiceRolePolicy",
    ),
    _Spec("waf.amazonaws.com", "AWSServiceRoleForWAFLogging", "WAFLoggingServiceRolePolicy"),
    _Spec("wafv2.amazonaws.com", "AWSServiceRoleForWAFV2Logging", "WAFV2LoggingServiceRolePolicy"),
    # unverified: not in the recordings; names from AWS's service-linked role documentation.
    _Spec(
        "dynamodb.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
        "AWSApplicationAutoscalingDynamoDBTablePolicy",
    ),
    _Spec("replicator.lambda.amazonaws.com", "AWSServiceRoleForLambdaReplicator", "AWSLambdaReplicator"),
    _Spec("elasticmapreduce.amazonaws.com", "AWSServiceRoleForEMRCleanup", "AmazonEMRCleanupPolicy"),
    _Spec(
        "es.amazonaws.com",
        "AWSServiceRoleForAmazonElasticsearchService",
        "AmazonElasticsearchServiceRolePolicy",
    ),
    _Spec("spot.amazonaws.com", "AWSServiceRoleForEC2Spot", "AWSEC2SpotServiceRolePolicy"),
    _Spec("events.amazonaws.com", "AWSServiceRoleForCloudWatchEvents", "CloudWatchEventsServiceRolePolicy"),
]

SERVICE_ROLES: dict[str, _Spec] = {s.service: s for s in _SPECS}
