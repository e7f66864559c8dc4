"""IAM and resource policy documents as pure functions of resolved ARNs.

Every statement names the exact resources it needs. The only `"Resource": "*"` is
`ecr:GetAuthorizationToken`, which AWS defines without a resource.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PolicyDocument = dict[str, Any]

# Before August 2022, ALB access logs were written by a per-region ELB account; newer regions
# use the log-delivery service principal (AWS docs, "Enable access logs for your ALB").
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-south-1": "718504428378",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}


@dataclass(frozen=True, slots=True)
class Account:
    """Where the stack runs, resolved: used to scope every policy to this account."""

    account_id: str
    partition: str
    region: str
    dns_suffix: str = "amazonaws.com"

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"

    @property
    def root(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"


def document(*statements: dict[str, Any]) -> PolicyDocument:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def service_assume_role(
    service: str, account: Account, source_arn: str | None = None
) -> PolicyDocument:
    """Trust `service`, only on behalf of this account (confused-deputy protection)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account.account_id}}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": f"{service}.{account.dns_suffix}"},
            "Action": "sts:AssumeRole",
            "Condition": condition,
        }
    )


def ecs_tasks_assume_role(account: Account) -> PolicyDocument:
    return service_assume_role("ecs-tasks", account, account.arn("ecs", "*"))


def execution_role_policy(
    *,
    repository_arn: str,
    log_group_arn: str,
    secret_arns: Sequence[str],
    kms_key_arn: str,
    account: Account,
) -> PolicyDocument:
    """What the ECS agent needs to start the task: pull the image, ship logs, read its secrets."""
    return document(
        {
            "Sid": "EcrLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
        },
        {
            "Sid": "PullImage",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            "Resource": repository_arn,
        },
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:log-stream:*",
        },
        {
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": sorted(set(secret_arns)),
        },
        {
            "Sid": "DecryptSecrets",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": kms_key_arn,
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": f"secretsmanager.{account.region}.{account.dns_suffix}"
                }
            },
        },
    )


def flow_logs_policy(log_group_arn: str) -> PolicyDocument:
    return document(
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
        }
    )


def kms_key_policy(account: Account) -> PolicyDocument:
    """Administered through IAM in this account; CloudWatch may use it for logs and alarm topics."""
    return document(
        {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": account.root},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsEncrypt",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{account.region}.{account.dns_suffix}"},
            "Action": [
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": account.arn("logs", "log-group:*")
                }
            },
        },
        {
            "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
            "Effect": "Allow",
            "Principal": {"Service": f"cloudwatch.{account.dns_suffix}"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account.account_id}},
        },
    )


def access_logs_bucket_policy(bucket_arn: str, prefix: str, account: Account) -> PolicyDocument:
    """Let ELB deliver access logs under `prefix/AWSLogs/<account>/`, and refuse plain HTTP."""
    objects = f"{bucket_arn}/{prefix}/AWSLogs/{account.account_id}/*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ElbLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": f"logdelivery.elasticloadbalancing.{account.dns_suffix}"},
            "Action": "s3:PutObject",
            "Resource": objects,
        }
    ]
    legacy_account = ELB_LOG_ACCOUNTS.get(account.region)
    if legacy_account is not None:
        statements.append(
            {
                "Sid": "ElbLogDeliveryRegionalAccount",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{account.partition}:iam::{legacy_account}:root"},
                "Action": "s3:PutObject",
                "Resource": objects,
            }
        )
    statements.append(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    return document(*statements)


def sns_topic_policy(topic_arn: str, account: Account) -> PolicyDocument:
    """Only CloudWatch alarms of this account publish; the owner manages the topic."""
    return document(
        {
            "Sid": "OwnerManages",
            "Effect": "Allow",
            "Principal": {"AWS": account.root},
            "Action": [
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:ListSubscriptionsByTopic",
                "sns:Publish",
            ],
            "Resource": topic_arn,
        },
        {
            "Sid": "CloudWatchAlarmsPublish",
            "Effect": "Allow",
            "Principal": {"Service": f"cloudwatch.{account.dns_suffix}"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {
                "ArnLike": {"aws:SourceArn": account.arn("cloudwatch", "alarm:*")},
                "StringEquals": {"aws:SourceAccount": account.account_id},
            },
        },
    )
