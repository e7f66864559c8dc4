"""RDS PostgreSQL in the data subnets.

pgvector ships with RDS PostgreSQL 16+; the service's first migration runs `CREATE EXTENSION
vector` as the master user, so nothing is installed here. The master password is managed by RDS
in Secrets Manager (rotated by RDS, encrypted with the stack key) and never enters Pulumi state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from copilot_platform.config import DatabaseConfig, StackConfig
from copilot_platform.network import POSTGRES_PORT


def database_url(config: DatabaseConfig, host: str) -> str:
    """The service's DATABASE_URL for an instance at `host`; built here only.

    The password is not in the URL: libpq takes it from PGPASSWORD (the RDS-managed secret)."""
    return f"postgresql://{config.username}@{host}:{POSTGRES_PORT}/{config.name}?sslmode=require"


@dataclass(frozen=True, slots=True)
class DatabaseArgs:
    stack: StackConfig
    subnet_ids: list[pulumi.Output[str]]
    security_group_id: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]


class Database(pulumi.ComponentResource):
    instance: aws.rds.Instance
    address: pulumi.Output[str]
    url: pulumi.Output[str]
    identifier: pulumi.Output[str]
    master_secret_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("copilot:platform:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stack = args.stack
        db = stack.database
        production = stack.production
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            description=f"{stack.prefix} PostgreSQL: data subnets",
            subnet_ids=args.subnet_ids,
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            family=f"postgres{db.major_version}",
            description=f"{stack.prefix} PostgreSQL: TLS only, slow-query log",
            parameters=[
                {"name": "rds.force_ssl", "value": "1"},
                {"name": "log_min_duration_statement", "value": "1000"},
            ],
            opts=child,
        )
        self.instance = aws.rds.Instance(
            f"{name}-postgres",
            engine="postgres",
            engine_version=db.engine_version,
            instance_class=db.instance_class,
            db_name=db.name,
            username=db.username,
            port=POSTGRES_PORT,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.kms_key_arn,
            allocated_storage=db.allocated_storage_gb,
            max_allocated_storage=db.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[args.security_group_id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            ca_cert_identifier="rds-ca-rsa2048-g1",
            backup_retention_period=db.backup_retention_days,
            backup_window="03:00-04:00",
            maintenance_window="sun:04:30-sun:05:30",
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            multi_az=production,
            deletion_protection=production,
            skip_final_snapshot=not production,
            final_snapshot_identifier=f"{stack.prefix}-final" if production else None,
            delete_automated_backups=not production,
            performance_insights_enabled=production,
            performance_insights_kms_key_id=args.kms_key_arn if production else None,
            performance_insights_retention_period=7 if production else None,
            # Staging applies changes now; production waits for the maintenance window.
            apply_immediately=not production,
            opts=child,
        )
        self.address = self.instance.address
        self.url = self.address.apply(lambda host: database_url(db, host))
        self.identifier = self.instance.identifier
        self.master_secret_arn = self.instance.master_user_secrets.apply(_first_secret_arn)
        self.register_outputs({"address": self.address, "identifier": self.identifier})


def _first_secret_arn(secrets: Sequence[aws.rds.outputs.InstanceMasterUserSecret]) -> str:
    if not secrets or not secrets[0].secret_arn:
        raise ValueError("RDS did not report its managed master-user secret")
    return secrets[0].secret_arn
