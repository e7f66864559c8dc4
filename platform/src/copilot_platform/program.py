"""The Pulumi program: read the stack config, wire the tiers together, export what deploys need."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from copilot_platform.cache import Cache, CacheArgs
from copilot_platform.config import PROJECT, StackConfig, load_stack_config
from copilot_platform.container import plan_container_env
from copilot_platform.database import Database, DatabaseArgs
from copilot_platform.encryption import EncryptionKey, EncryptionKeyArgs
from copilot_platform.iam import Account
from copilot_platform.image_tag import resolve_image_tag
from copilot_platform.monitoring import Monitoring, MonitoringArgs
from copilot_platform.network import Network, NetworkArgs
from copilot_platform.registry import Registry, RegistryArgs
from copilot_platform.secrets import AppSecrets, AppSecretsArgs
from copilot_platform.service import Service, ServiceArgs

# Stack outputs: what `scripts/deploy.sh` and the rollback tool read. Never a secret.
OUTPUT_NAMES = (
    "environment",
    "region",
    "url",
    "albDnsName",
    "ecrRepositoryName",
    "ecrRepositoryUrl",
    "imageTag",
    "image",
    "clusterName",
    "serviceName",
    "taskDefinitionFamily",
    "taskDefinitionArn",
    "logGroupName",
    "alarmTopicArn",
    "dashboardName",
)


@dataclass(frozen=True, slots=True)
class Tiers:
    """The component per tier, returned so tests can inspect the wiring."""

    encryption: EncryptionKey
    network: Network
    registry: Registry
    database: Database
    cache: Cache
    secrets: AppSecrets
    service: Service
    monitoring: Monitoring


def _account(provider: aws.Provider, region: str) -> pulumi.Output[Account]:
    invoke = pulumi.InvokeOutputOptions(provider=provider)
    identity = aws.get_caller_identity_output(opts=invoke)
    partition = aws.get_partition_output(opts=invoke)
    return pulumi.Output.all(identity.account_id, partition.partition, partition.dns_suffix).apply(
        lambda parts: Account(
            account_id=parts[0], partition=parts[1], region=region, dns_suffix=parts[2]
        )
    )


def build(stack: StackConfig, repo_root: Path) -> Tiers:
    """Declare every resource of one stack and export its outputs."""
    # Validate the container's settings against the env contract before declaring anything.
    env_plan = plan_container_env(stack)
    for key in stack.example_values():
        pulumi.log.warn(f"{PROJECT}:{key} is still an example value: set the real one")
    image_tag = resolve_image_tag(stack.image_tag, repo_root)
    provider = aws.Provider(
        f"{stack.prefix}-aws",
        region=stack.region,
        default_tags={
            "tags": {
                "Project": PROJECT,
                "Environment": stack.environment,
                "Stack": pulumi.get_stack(),
                "ManagedBy": "pulumi",
            }
        },
    )
    opts = pulumi.ResourceOptions(providers=[provider])
    account = _account(provider, stack.region)
    prefix = stack.prefix

    encryption = EncryptionKey(
        f"{prefix}-encryption", EncryptionKeyArgs(stack=stack, account=account), opts
    )
    key_arn = encryption.arn
    network = Network(
        f"{prefix}-network", NetworkArgs(stack=stack, account=account, kms_key_arn=key_arn), opts
    )
    registry = Registry(
        f"{prefix}-registry",
        RegistryArgs(stack=stack, kms_key_arn=key_arn, repo_root=repo_root, image_tag=image_tag),
        opts,
    )
    database = Database(
        f"{prefix}-database",
        DatabaseArgs(
            stack=stack,
            subnet_ids=network.data_subnet_ids,
            security_group_id=network.database_security_group.id,
            kms_key_arn=key_arn,
        ),
        opts,
    )
    cache = Cache(
        f"{prefix}-cache",
        CacheArgs(
            stack=stack,
            subnet_ids=network.data_subnet_ids,
            security_group_id=network.cache_security_group.id,
            kms_key_arn=key_arn,
        ),
        opts,
    )
    values = {"DATABASE_URL": database.url, "REDIS_URL": cache.url}
    values |= {
        name: pulumi.Output.secret(secret.get_secret_value())
        for name, secret in stack.app_secrets.items()
    }
    secrets = AppSecrets(
        f"{prefix}-secrets",
        AppSecretsArgs(
            stack=stack,
            kms_key_arn=key_arn,
            values={name: values[name] for name in env_plan.secrets},
        ),
        opts,
    )
    service = Service(
        f"{prefix}-api",
        ServiceArgs(
            stack=stack,
            account=account,
            vpc_id=network.vpc.id,
            public_subnet_ids=network.public_subnet_ids,
            private_subnet_ids=network.private_subnet_ids,
            alb_security_group_id=network.alb_security_group.id,
            task_security_group_id=network.task_security_group.id,
            kms_key_arn=key_arn,
            repository_arn=registry.repository.arn,
            image_ref=registry.image_ref,
            env_plan=env_plan,
            secret_arns=secrets.arns,
            database_secret_arn=database.master_secret_arn,
            ready=[secrets, database, cache],
            secrets_fingerprint=secrets.fingerprint,
        ),
        opts,
    )
    monitoring = Monitoring(
        f"{prefix}-monitoring",
        MonitoringArgs(
            stack=stack,
            account=account,
            kms_key_arn=key_arn,
            load_balancer=service.load_balancer.alb.arn_suffix,
            target_group=service.load_balancer.target_group.arn_suffix,
            cluster_name=service.cluster.name,
            service_name=service.service.name,
            database_identifier=database.identifier,
            cache_node_ids=cache.member_ids,
        ),
        opts,
    )

    outputs: dict[str, pulumi.Input[str]] = {
        "environment": stack.environment,
        "region": stack.region,
        "url": service.load_balancer.url,
        "albDnsName": service.load_balancer.alb.dns_name,
        "ecrRepositoryName": registry.repository.name,
        "ecrRepositoryUrl": registry.repository.repository_url,
        "imageTag": image_tag,
        "image": registry.image_ref,
        "clusterName": service.cluster.name,
        "serviceName": service.service.name,
        "taskDefinitionFamily": service.task_definition.family,
        "taskDefinitionArn": service.task_definition.arn,
        "logGroupName": service.log_group.name,
        "alarmTopicArn": monitoring.topic.arn,
        "dashboardName": monitoring.dashboard.dashboard_name,
    }
    for output_name, value in outputs.items():
        pulumi.export(output_name, value)
    return Tiers(
        encryption=encryption,
        network=network,
        registry=registry,
        database=database,
        cache=cache,
        secrets=secrets,
        service=service,
        monitoring=monitoring,
    )


def main(repo_root: Path) -> Tiers:
    """Entry point of `platform/__main__.py`: config from the selected stack."""
    stack = load_stack_config(pulumi.Config(PROJECT), pulumi.Config("aws").get("region"))
    return build(stack, repo_root)
