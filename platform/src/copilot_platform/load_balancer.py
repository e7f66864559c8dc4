"""The internet-facing ALB: access logs in S3, TLS 1.3, health checks on readiness.

With a domain: an ACM certificate validated through Route 53, HTTPS on 443 and a permanent
redirect from 80. Without one (staging only; production refuses it) the ALB forwards plain HTTP
on 80, because a certificate needs a name to be issued for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from copilot_config.health import READINESS_PATH
from copilot_platform.config import StackConfig
from copilot_platform.iam import Account, access_logs_bucket_policy
from copilot_platform.network import HTTP_PORT, HTTPS_PORT

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
ACCESS_LOG_PREFIX = "alb"
HSTS = "max-age=31536000; includeSubDomains"


@dataclass(frozen=True, slots=True)
class LoadBalancerArgs:
    stack: StackConfig
    account: pulumi.Output[Account]
    vpc_id: pulumi.Output[str]
    subnet_ids: list[pulumi.Output[str]]
    security_group_id: pulumi.Output[str]


class LoadBalancer(pulumi.ComponentResource):
    alb: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    url: pulumi.Output[str]
    listeners: list[aws.lb.Listener]

    def __init__(
        self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("copilot:platform:LoadBalancer", name, None, opts)
        self._label = name
        self._child = pulumi.ResourceOptions(parent=self)
        stack = args.stack
        logs_ready = self._access_log_bucket(stack, args.account)
        self.alb = aws.lb.LoadBalancer(
            f"{stack.prefix}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=args.subnet_ids,
            security_groups=[args.security_group_id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest" if stack.production else "defensive",
            enable_deletion_protection=stack.production,
            enable_http2=True,
            idle_timeout=60,
            access_logs={"bucket": logs_ready.bucket, "prefix": ACCESS_LOG_PREFIX, "enabled": True},
            # The ALB checks at creation that it can write the logs: the policy must exist first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs_ready]),
        )
        self.target_group = aws.lb.TargetGroup(
            f"{stack.prefix}-tg",
            target_type="ip",
            protocol="HTTP",
            port=stack.service.container_port,
            vpc_id=args.vpc_id,
            deregistration_delay=30,
            health_check={
                "enabled": True,
                "path": READINESS_PATH,
                "protocol": "HTTP",
                "port": "traffic-port",
                "matcher": "200",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            opts=self._child,
        )
        forward: list[aws.lb.ListenerDefaultActionArgsDict] = [
            {"type": "forward", "target_group_arn": self.target_group.arn}
        ]
        if stack.domain is None:
            plain = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=self.alb.arn,
                port=HTTP_PORT,
                protocol="HTTP",
                default_actions=forward,
                routing_http_response_server_enabled=False,
                opts=self._child,
            )
            self.listeners = [plain]
            self.url = self.alb.dns_name.apply(lambda host: f"http://{host}")
        else:
            self.listeners = self._https(stack.domain.name, stack.domain.zone, forward)
            self.url = pulumi.Output.from_input(f"https://{stack.domain.name}")
        self.register_outputs({"url": self.url, "dnsName": self.alb.dns_name})

    def _access_log_bucket(
        self, stack: StackConfig, account: pulumi.Output[Account]
    ) -> aws.s3.BucketPolicy:
        bucket = aws.s3.Bucket(
            f"{self._label}-access-logs",
            force_destroy=not stack.production,
            opts=self._child,
        )
        aws.s3.BucketOwnershipControls(
            f"{self._label}-access-logs-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=self._child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{self._label}-access-logs-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self._child,
        )
        # ALB log delivery supports SSE-S3 only (not SSE-KMS).
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{self._label}-access-logs-encryption",
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=self._child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{self._label}-access-logs-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": f"{ACCESS_LOG_PREFIX}/"},
                    "expiration": {"days": 365 if stack.production else 30},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=self._child,
        )
        return aws.s3.BucketPolicy(
            f"{self._label}-access-logs-policy",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, account).apply(
                lambda parts: json.dumps(
                    access_logs_bucket_policy(parts[0], ACCESS_LOG_PREFIX, parts[1])
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )

    def _https(
        self, domain: str, zone_name: str, forward: list[aws.lb.ListenerDefaultActionArgsDict]
    ) -> list[aws.lb.Listener]:
        zone = aws.route53.get_zone_output(
            name=zone_name, private_zone=False, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        certificate = aws.acm.Certificate(
            f"{self._label}-certificate",
            domain_name=domain,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            opts=self._child,
        )
        option = certificate.domain_validation_options.apply(lambda options: options[0])
        validation_record = aws.route53.Record(
            f"{self._label}-certificate-validation-record",
            zone_id=zone.zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=60,
            allow_overwrite=True,
            opts=self._child,
        )
        validated = aws.acm.CertificateValidation(
            f"{self._label}-certificate-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[validation_record.fqdn],
            opts=self._child,
        )
        https = aws.lb.Listener(
            f"{self._label}-https",
            load_balancer_arn=self.alb.arn,
            port=HTTPS_PORT,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=validated.certificate_arn,
            default_actions=forward,
            routing_http_response_strict_transport_security_header_value=HSTS,
            routing_http_response_x_content_type_options_header_value="nosniff",
            routing_http_response_server_enabled=False,
            opts=self._child,
        )
        redirect = aws.lb.Listener(
            f"{self._label}-http",
            load_balancer_arn=self.alb.arn,
            port=HTTP_PORT,
            protocol="HTTP",
            default_actions=[
                {
                    "type": "redirect",
                    "redirect": {
                        "protocol": "HTTPS",
                        "port": str(HTTPS_PORT),
                        "status_code": "HTTP_301",
                    },
                }
            ],
            opts=self._child,
        )
        aws.route53.Record(
            f"{self._label}-alias",
            zone_id=zone.zone_id,
            name=domain,
            type="A",
            aliases=[
                {
                    "name": self.alb.dns_name,
                    "zone_id": self.alb.zone_id,
                    "evaluate_target_health": True,
                }
            ],
            opts=self._child,
        )
        return [https, redirect]
