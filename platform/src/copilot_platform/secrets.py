"""The container's secrets in Secrets Manager, one secret per variable, under the stack key."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from copilot_platform.config import StackConfig


@dataclass(frozen=True, slots=True)
class AppSecretsArgs:
    stack: StackConfig
    kms_key_arn: pulumi.Output[str]
    values: Mapping[str, pulumi.Output[str]]
    """Contract variable name -> its value (kept secret in state)."""


class AppSecrets(pulumi.ComponentResource):
    arns: dict[str, pulumi.Output[str]]
    fingerprint: pulumi.Output[str]
    """Changes whenever any secret value changes: tasks read secrets only when they start."""

    def __init__(
        self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("copilot:platform:AppSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stack = args.stack
        self.arns = {}
        versions: list[pulumi.Output[str]] = []
        for variable, value in sorted(args.values.items()):
            label = variable.lower().replace("_", "-")
            secret = aws.secretsmanager.Secret(
                f"{name}-{label}",
                name=f"copilot/{stack.environment}/app/{variable}",
                description=f"{variable} for the {stack.environment} API container",
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=30 if stack.production else 7,
                opts=child,
            )
            version = aws.secretsmanager.SecretVersion(
                f"{name}-{label}-version",
                secret_id=secret.id,
                secret_string=value.apply(pulumi.Output.secret),
                opts=child,
            )
            self.arns[variable] = secret.arn
            versions.append(version.version_id)
        self.fingerprint = pulumi.Output.all(*versions).apply(
            lambda ids: hashlib.sha256(",".join(ids).encode()).hexdigest()
        )
        self.register_outputs({"secretArns": self.arns})
