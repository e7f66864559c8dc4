"""The stack's customer-managed KMS key: secrets, database, cache, registry, logs and alarms."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from copilot_platform.config import StackConfig
from copilot_platform.iam import Account, kms_key_policy


@dataclass(frozen=True, slots=True)
class EncryptionKeyArgs:
    stack: StackConfig
    account: pulumi.Output[Account]


class EncryptionKey(pulumi.ComponentResource):
    """One symmetric key with yearly automatic rotation, administered through IAM."""

    key: aws.kms.Key
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("copilot:platform:EncryptionKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stack = args.stack
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Realtor AI Copilot {stack.environment}: secrets, data stores, logs",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30 if stack.production else 7,
            policy=args.account.apply(lambda account: json.dumps(kms_key_policy(account))),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{stack.prefix}",
            target_key_id=self.key.key_id,
            opts=child,
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})
