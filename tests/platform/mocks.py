"""Pulumi mocks that record every resource and answer like AWS would (ids, ARNs, endpoints).

Inputs are recorded as the provider receives them (camelCase property names), with Pulumi's
secret wrappers removed and the secret top-level keys noted, so policy checks see plain values
and the leak checks can tell a secret input from a plain one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.rpc import _special_secret_sig, _special_sig_key

ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class RecordedResource:
    type: str
    name: str
    inputs: Mapping[str, Any]
    secret_inputs: frozenset[str] = frozenset()
    id: str = ""
    provider: str = ""
    """URN::id of the provider that manages the resource ("" for default providers)."""


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    region: str
    resources: list[RecordedResource] = field(default_factory=list)
    calls: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    call_providers: list[str] = field(default_factory=list)

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        secret_keys = frozenset(key for key, value in args.inputs.items() if _is_secret(value))
        inputs = {key: unwrap(value) for key, value in args.inputs.items()}
        physical = _physical_name(args.name)
        resource_id = f"{physical}-id"
        self.resources.append(
            RecordedResource(
                args.typ, args.name, inputs, secret_keys, resource_id, args.provider or ""
            )
        )
        state = {**inputs, **self._computed(args.typ, args.name, physical, inputs)}
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        self.calls.append((args.token, dict(args.args)))
        self.call_providers.append(args.provider or "")
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/deployer",
                "userId": "AIDAEXAMPLE",
                "id": ACCOUNT_ID,
            }
        if args.token == "aws:index/getPartition:getPartition":
            return {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
                "id": "aws",
            }
        if args.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return {
                "proxyEndpoint": f"https://{ACCOUNT_ID}.dkr.ecr.{self.region}.amazonaws.com",
                "userName": "AWS",
                "password": "ecr-login-token",
                "authorizationToken": "QVdTOmVjci1sb2dpbi10b2tlbg==",
                "expiresAt": "2030-01-01T00:00:00Z",
                "id": self.region,
            }
        if args.token == "aws:route53/getZone:getZone":
            return {"zoneId": "Z0HOSTEDZONE", "name": args.args["name"], "id": "Z0HOSTEDZONE"}
        raise NotImplementedError(f"unexpected invoke {args.token}: mock it deliberately")

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"

    def _computed(
        self, typ: str, name: str, physical: str, inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Outputs AWS computes, per resource type; names default to Pulumi-style autonames."""
        region = self.region
        named = inputs.get("name") or physical
        match typ:
            case "aws:kms/key:Key":
                return {"arn": self._arn("kms", f"key/{physical}"), "keyId": physical}
            case "aws:ecr/repository:Repository":
                return {
                    "arn": self._arn("ecr", f"repository/{named}"),
                    "registryId": ACCOUNT_ID,
                    "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{named}",
                }
            case "docker:index/image:Image":
                repository = str(inputs["imageName"]).rsplit(":", 1)[0]
                digest = hashlib.sha256(str(inputs["imageName"]).encode()).hexdigest()
                return {"repoDigest": f"{repository}@sha256:{digest}"}
            case "aws:rds/instance:Instance":
                identifier = inputs.get("identifier") or physical
                address = f"{identifier}.c0abcdef.{region}.rds.amazonaws.com"
                return {
                    "arn": self._arn("rds", f"db:{identifier}"),
                    "identifier": identifier,
                    "address": address,
                    "endpoint": f"{address}:5432",
                    "masterUserSecrets": [
                        {
                            "secretArn": self._arn("secretsmanager", f"secret:rds!db-{physical}"),
                            "kmsKeyId": inputs.get("masterUserSecretKmsKeyId"),
                            "secretStatus": "active",
                        }
                    ],
                }
            case "aws:elasticache/replicationGroup:ReplicationGroup":
                group = inputs.get("replicationGroupId") or physical
                count = int(inputs.get("numCacheClusters", 1))
                return {
                    "arn": self._arn("elasticache", f"replicationgroup:{group}"),
                    "replicationGroupId": group,
                    "primaryEndpointAddress": f"master.{group}.abc123.use1.cache.amazonaws.com",
                    "memberClusters": [f"{group}-{n:03d}" for n in range(1, count + 1)],
                }
            case "random:index/randomPassword:RandomPassword":
                seed = hashlib.sha256(name.encode()).hexdigest()
                return {"result": (seed * 4)[: int(inputs["length"])]}
            case "aws:secretsmanager/secretVersion:SecretVersion":
                value = str(inputs.get("secretString", ""))
                return {"versionId": hashlib.sha256(value.encode()).hexdigest()[:32]}
            case "aws:secretsmanager/secret:Secret":
                return {"arn": self._arn("secretsmanager", f"secret:{named}-AbCdEf")}
            case "aws:lb/loadBalancer:LoadBalancer":
                return {
                    "arn": self._arn(
                        "elasticloadbalancing", f"loadbalancer/app/{named}/50dc6c495c0c9188"
                    ),
                    "arnSuffix": f"app/{named}/50dc6c495c0c9188",
                    "dnsName": f"{named}-1234567890.{region}.elb.amazonaws.com",
                    "zoneId": "Z35SXDOTRQ7X7K",
                }
            case "aws:lb/targetGroup:TargetGroup":
                return {
                    "arn": self._arn(
                        "elasticloadbalancing", f"targetgroup/{named}/73e2d6bc24d8a067"
                    ),
                    "arnSuffix": f"targetgroup/{named}/73e2d6bc24d8a067",
                }
            case "aws:acm/certificate:Certificate":
                domain = inputs["domainName"]
                return {
                    "arn": self._arn("acm", f"certificate/{physical}"),
                    "domainValidationOptions": [
                        {
                            "domainName": domain,
                            "resourceRecordName": f"_abc.{domain}.",
                            "resourceRecordType": "CNAME",
                            "resourceRecordValue": "_def.acm-validations.aws.",
                        }
                    ],
                }
            case "aws:route53/record:Record":
                return {"fqdn": inputs["name"]}
            case "aws:s3/bucket:Bucket":
                bucket = inputs.get("bucket") or physical
                return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}"}
            case "aws:cloudwatch/logGroup:LogGroup":
                return {"name": named, "arn": self._arn("logs", f"log-group:{named}")}
            case "aws:iam/role:Role":
                return {"name": named, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{named}"}
            case "aws:ecs/cluster:Cluster":
                return {"name": named, "arn": self._arn("ecs", f"cluster/{named}")}
            case "aws:ecs/service:Service":
                return {"name": named, "arn": self._arn("ecs", f"service/{named}")}
            case "aws:ecs/taskDefinition:TaskDefinition":
                family = inputs["family"]
                return {"arn": self._arn("ecs", f"task-definition/{family}:1"), "revision": 1}
            case "aws:sns/topic:Topic":
                return {"arn": self._arn("sns", physical)}
            case "aws:cloudwatch/metricAlarm:MetricAlarm":
                return {"arn": self._arn("cloudwatch", f"alarm:{named}")}
            case _:
                # Subnet groups, parameter groups, ...: autonamed like the rest.
                service = typ.split(":")[1].split("/", maxsplit=1)[0]
                return {"arn": self._arn(service, physical), "name": named}


def _physical_name(logical: str) -> str:
    """Like Pulumi's autonaming: the logical name plus a stable 7-character suffix."""
    return f"{logical}-{hashlib.sha256(logical.encode()).hexdigest()[:7]}"


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_special_sig_key) == _special_secret_sig


def unwrap(value: Any) -> Any:
    """Remove Pulumi's secret envelopes at any depth."""
    if _is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def walk_strings(value: Any) -> Iterator[str]:
    """Every string inside a recorded value (for leak checks)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from walk_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from walk_strings(item)
