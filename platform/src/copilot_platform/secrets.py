"""The container's secrets in Secrets Manager, one secret per variable, under the stack key."""

from __future__ import annotations

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

    def __init__(
        self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("copilot:platform:AppSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stack = args.stack
        self.arns = {}
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
            aws.secretsmanager.SecretVersion(
                f"{name}-{label}-version",
                secret_id=secret.id,
                secret_string=value.apply(pulumi.Output.secret),
                opts=child,
            )
            self.arns[variable] = secret.arn
        self.register_outputs({"secretArns": self.arns})
