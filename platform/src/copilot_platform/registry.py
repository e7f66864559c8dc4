"""The ECR repository and the API image, built from the repo's Dockerfile and pushed by digest."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from copilot_platform.config import StackConfig

DOCKERFILE = Path("services/api/Dockerfile")
IMAGE_PLATFORM = "linux/amd64"  # matches the task definition's X86_64 runtime platform


def lifecycle_policy(keep_images: int) -> str:
    """Expire untagged layers after a week; keep the newest `keep_images` for rollbacks."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": "Expire untagged images after 7 days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": 7,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the newest {keep_images} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_images,
                    },
                    "action": {"type": "expire"},
                },
            ]
        }
    )


@dataclass(frozen=True, slots=True)
class RegistryArgs:
    stack: StackConfig
    kms_key_arn: pulumi.Output[str]
    repo_root: Path
    image_tag: str


class Registry(pulumi.ComponentResource):
    repository: aws.ecr.Repository
    image: docker.Image
    image_ref: pulumi.Output[str]
    """`<repository>@sha256:<digest>`: what the task definition runs."""

    def __init__(
        self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("copilot:platform:Registry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stack = args.stack
        self.repository = aws.ecr.Repository(
            f"{name}-repository",
            name=f"copilot/{stack.environment}/api",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": args.kms_key_arn}],
            # Staging can be torn down with its images; production keeps them.
            force_delete=not stack.production,
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=self.repository.name,
            policy=lifecycle_policy(keep_images=50 if stack.production else 20),
            opts=child,
        )
        token = aws.ecr.get_authorization_token_output(
            registry_id=self.repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        # Paths relative to the working directory keep the state identical across machines.
        context = Path(os.path.relpath(args.repo_root))
        self.image = docker.Image(
            f"{name}-image",
            image_name=self.repository.repository_url.apply(lambda url: f"{url}:{args.image_tag}"),
            build={
                "context": str(context),
                "dockerfile": str(context / DOCKERFILE),
                "platform": IMAGE_PLATFORM,
                # The Dockerfile's `org.opencontainers.image.revision` label.
                "args": {"GIT_SHA": args.image_tag},
            },
            registry={
                "server": self.repository.repository_url,
                "username": token.user_name,
                "password": pulumi.Output.secret(token.password),
            },
            opts=child,
        )
        self.image_ref = self.image.repo_digest
        self.register_outputs(
            {"repositoryUrl": self.repository.repository_url, "imageRef": self.image_ref}
        )
