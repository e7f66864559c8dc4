"""Registry, image, database and cache policies (requirements 3-5)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from copilot_platform.policies.base import (
    ECR_LIFECYCLE,
    ECR_REPOSITORY,
    IMAGE,
    RANDOM_PASSWORD,
    RDS,
    RDS_PARAMETERS,
    REDIS,
    SECRET,
    TASK_DEFINITION,
    Inputs,
    Policy,
    StackFacts,
    as_list,
    container,
    of_type,
    parse_json,
    resource_policy,
    stack_policy,
)


def _ecr_scan(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("imageScanningConfiguration", {}).get("scanOnPush"):
        yield "ECR repository does not scan on push"


def _ecr_immutable(inputs: Inputs) -> Iterable[str]:
    if inputs.get("imageTagMutability") != "IMMUTABLE":
        yield f"ECR tags are {inputs.get('imageTagMutability', 'MUTABLE')}, not IMMUTABLE"


def _ecr_kms(inputs: Inputs) -> Iterable[str]:
    configs = as_list(inputs.get("encryptionConfigurations"))
    if not any(c.get("encryptionType") == "KMS" and c.get("kmsKey") for c in configs):
        yield "ECR repository not encrypted with the stack's KMS key"


def _ecr_lifecycle(inputs: Inputs) -> Iterable[str]:
    rules = parse_json(inputs.get("policy") or "{}").get("rules", [])
    selections = [rule.get("selection", {}) for rule in rules]
    if not any(s.get("tagStatus") == "untagged" for s in selections):
        yield "lifecycle policy does not expire untagged images"
    if not any(s.get("countType") == "imageCountMoreThan" for s in selections):
        yield "lifecycle policy does not bound the number of images"


def _image_build(tag: str) -> Callable[[Inputs], Iterable[str]]:
    def check(inputs: Inputs) -> Iterable[str]:
        build = inputs.get("build", {})
        if build.get("dockerfile") != "services/api/Dockerfile":
            yield f"image built from {build.get('dockerfile')}, not services/api/Dockerfile"
        if build.get("context") != ".":
            yield f"build context {build.get('context')!r} is not the repository root"
        if not str(inputs.get("imageName", "")).endswith(f":{tag}"):
            yield f"image not tagged with the git SHA {tag}"
        if build.get("args", {}).get("GIT_SHA") != tag:
            yield "image revision label (GIT_SHA build arg) is not the tag"
        if inputs.get("skipPush"):
            yield "image is not pushed"
        registry = str(inputs.get("imageName", "")).split("/", 1)[0]
        if not re.fullmatch(r"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com", registry):
            yield f"image pushed to {registry}, not the stack's ECR registry"

    return check


def _image_by_digest(inputs: Inputs) -> Iterable[str]:
    image = container(inputs).get("image", "")
    if "@sha256:" not in image:
        yield f"task runs {image}, not an image digest"


def _rds_engine(inputs: Inputs) -> Iterable[str]:
    version = str(inputs.get("engineVersion", "0"))
    if inputs.get("engine") != "postgres" or int(version.split(".", maxsplit=1)[0]) < 16:
        yield f"engine {inputs.get('engine')} {version}: PostgreSQL 16+ required"


def _rds_encrypted(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("storageEncrypted") or not inputs.get("kmsKeyId"):
        yield "database storage not encrypted with the stack's KMS key"


def _rds_managed_password(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("manageMasterUserPassword"):
        yield "master password not managed by RDS in Secrets Manager"
    if inputs.get("password") or inputs.get("passwordWo"):
        yield "a master password is set in the program"
    if not inputs.get("masterUserSecretKmsKeyId"):
        yield "the managed master secret is not encrypted with the stack's KMS key"


def _rds_private(inputs: Inputs) -> Iterable[str]:
    if inputs.get("publiclyAccessible"):
        yield "database is publicly accessible"
    if not inputs.get("vpcSecurityGroupIds") or not inputs.get("dbSubnetGroupName"):
        yield "database not placed in the VPC's data subnets and security group"


def _rds_backups(minimum_days: int) -> Callable[[Inputs], Iterable[str]]:
    def check(inputs: Inputs) -> Iterable[str]:
        days = inputs.get("backupRetentionPeriod", 0)
        if days < minimum_days:
            yield f"backups kept {days} day(s), need {minimum_days}+"

    return check


def _rds_multi_az(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("multiAz"):
        yield "production database is not multi-AZ"


def _rds_deletion_protection(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("deletionProtection"):
        yield "production database without deletion protection"


def _rds_final_snapshot(inputs: Inputs) -> Iterable[str]:
    if inputs.get("skipFinalSnapshot", False) or not inputs.get("finalSnapshotIdentifier"):
        yield "production database skips its final snapshot"


def _rds_performance_insights(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("performanceInsightsEnabled"):
        yield "production database without Performance Insights"


def _rds_force_ssl(inputs: Inputs) -> Iterable[str]:
    parameters = {p.get("name"): p.get("value") for p in inputs.get("parameters", [])}
    if parameters.get("rds.force_ssl") != "1":
        yield "parameter group does not force TLS (rds.force_ssl=1)"


def _redis_transit(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("transitEncryptionEnabled"):
        yield "Redis without TLS in transit"
    if inputs.get("transitEncryptionMode", "required") != "required":
        yield "Redis accepts plaintext connections (transitEncryptionMode)"


def _redis_at_rest(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("atRestEncryptionEnabled"):
        yield "Redis without encryption at rest"


def _redis_auth(inputs: Inputs) -> Iterable[str]:
    if len(str(inputs.get("authToken") or "")) < 32:
        yield "Redis without a generated auth token (32+ characters)"


def _redis_private(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("securityGroupIds") or not inputs.get("subnetGroupName"):
        yield "Redis not placed in the data subnets and its security group"


def _redis_failover(inputs: Inputs) -> Iterable[str]:
    if not inputs.get("automaticFailoverEnabled"):
        yield "production Redis without automatic failover"
    if not inputs.get("multiAzEnabled"):
        yield "production Redis is not multi-AZ"


def _redis_nodes(inputs: Inputs) -> Iterable[str]:
    if inputs.get("numCacheClusters", 1) < 2:
        yield f"production Redis has {inputs.get('numCacheClusters', 1)} node(s), need 2+"


def _redis_snapshots(inputs: Inputs) -> Iterable[str]:
    if inputs.get("snapshotRetentionLimit", 0) < 1:
        yield "production Redis keeps no snapshots"


def _redis_token_generated(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
    if not [pw for pw in of_type(resources, RANDOM_PASSWORD) if pw.get("length", 0) >= 32]:
        yield "no generated password (32+ characters) for the Redis auth token"
    names = [str(secret.get("name", "")) for secret in of_type(resources, SECRET)]
    if not any(name.endswith("/redis-auth-token") for name in names):
        yield "the Redis auth token is not kept in Secrets Manager"


def policies(facts: StackFacts) -> list[Policy]:
    r, s = resource_policy, stack_policy
    found = [
        r("ecr-scan-on-push", "3 registry: scan on push", ECR_REPOSITORY, _ecr_scan),
        r("ecr-immutable-tags", "3 registry: immutable tags", ECR_REPOSITORY, _ecr_immutable),
        r("ecr-kms", "3 registry: encrypted", ECR_REPOSITORY, _ecr_kms),
        r("ecr-lifecycle", "3 registry: lifecycle policy", ECR_LIFECYCLE, _ecr_lifecycle),
        r(
            "image-build",
            "3 image: repo Dockerfile, git SHA tag",
            IMAGE,
            _image_build(facts.image_tag),
        ),
        r("image-by-digest", "3 image: referenced by digest", TASK_DEFINITION, _image_by_digest),
        r("rds-postgres-16", "4 database: PostgreSQL 16+", RDS, _rds_engine),
        r("rds-encrypted", "4 database: storage encryption", RDS, _rds_encrypted),
        r(
            "rds-managed-password",
            "4 database: managed master password",
            RDS,
            _rds_managed_password,
        ),
        r("rds-private", "4 database: no public access", RDS, _rds_private),
        r(
            "rds-backups",
            "4 database: backups (7 days in production)",
            RDS,
            _rds_backups(7 if facts.production else 1),
        ),
        r("rds-force-ssl", "4 database: TLS only", RDS_PARAMETERS, _rds_force_ssl),
        r("redis-tls", "5 cache: TLS", REDIS, _redis_transit),
        r("redis-at-rest", "5 cache: at-rest encryption", REDIS, _redis_at_rest),
        r("redis-auth-token", "5 cache: auth token from a generated secret", REDIS, _redis_auth),
        s(
            "redis-token-generated",
            "5 cache: auth token from a generated secret",
            _redis_token_generated,
        ),
        r("redis-private", "5 cache: private", REDIS, _redis_private),
    ]
    if facts.production:
        found += [
            r("rds-multi-az", "4 database (production): multi-AZ", RDS, _rds_multi_az),
            r(
                "rds-deletion-protection",
                "4 database (production): deletion protection",
                RDS,
                _rds_deletion_protection,
            ),
            r(
                "rds-final-snapshot",
                "4 database (production): final snapshot",
                RDS,
                _rds_final_snapshot,
            ),
            r(
                "rds-performance-insights",
                "4 database (production): Performance Insights",
                RDS,
                _rds_performance_insights,
            ),
            r("redis-failover", "5 cache (production): failover, multi-AZ", REDIS, _redis_failover),
            r("redis-two-nodes", "5 cache (production): 2+ nodes", REDIS, _redis_nodes),
            r("redis-snapshots", "5 cache (production): snapshots", REDIS, _redis_snapshots),
        ]
    return found
