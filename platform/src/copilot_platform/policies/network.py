"""Network policies: VPC, subnets, NAT, flow logs, security groups (requirements 1-2)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from copilot_platform.policies.base import (
    DATA_PORTS,
    DEFAULT_SG,
    EGRESS,
    FLOW_LOG,
    INGRESS,
    NAT,
    PROVIDER,
    PUBLIC_PORTS,
    SECURITY_GROUP,
    SUBNET,
    VPC,
    WORLD,
    Inputs,
    Policy,
    StackFacts,
    of_type,
    parse_json,
    resource_policy,
    stack_policy,
)


def _provider_tags(inputs: Inputs) -> Iterable[str]:
    tags = parse_json(inputs.get("defaultTags") or "{}").get("tags", {})
    for key in ("Project", "Environment", "ManagedBy"):
        if not tags.get(key):
            yield f"provider default tags lack {key}"
    if not inputs.get("region"):
        yield "provider has no explicit region"


def _vpc_dns(inputs: Inputs) -> Iterable[str]:
    if not (inputs.get("enableDnsHostnames") and inputs.get("enableDnsSupport")):
        yield "VPC without DNS support and hostnames (needed for private endpoints)"


def _two_azs_per_tier(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
    tiers: dict[str, set[str]] = {}
    for subnet in of_type(resources, SUBNET):
        tier = subnet.get("tags", {}).get("Tier", "?")
        tiers.setdefault(tier, set()).add(subnet.get("availabilityZone", ""))
    for tier in ("public", "private", "data"):
        if len(tiers.get(tier, set())) < 2:
            yield f"{tier} subnets span {len(tiers.get(tier, set()))} AZ(s), need 2+"


def _no_public_ip_on_launch(inputs: Inputs) -> Iterable[str]:
    if inputs.get("mapPublicIpOnLaunch"):
        yield f"subnet {inputs.get('cidrBlock')} assigns public IPs on launch"


def _nat_count(expected: str) -> Callable[[Sequence[tuple[str, Inputs]]], Iterable[str]]:
    def check(resources: Sequence[tuple[str, Inputs]]) -> Iterable[str]:
        nats = len(of_type(resources, NAT))
        zones = {s.get("availabilityZone") for s in of_type(resources, SUBNET)}
        want = 1 if expected == "single" else len(zones)
        if nats != want:
            yield f"{nats} NAT gateway(s), expected {want} ({expected})"

    return check


def _flow_logs(inputs: Inputs) -> Iterable[str]:
    if inputs.get("trafficType") != "ALL" or not inputs.get("logDestination"):
        yield "VPC flow logs must capture ALL traffic to a destination"


def _default_sg_closed(inputs: Inputs) -> Iterable[str]:
    if inputs.get("ingress") or inputs.get("egress"):
        yield "the VPC's default security group must have no rules"


def _no_inline_sg_rules(inputs: Inputs) -> Iterable[str]:
    if inputs.get("ingress") or inputs.get("egress"):
        yield f"security group '{inputs.get('description')}' has inline rules"


def _world_only_on_web_ports(inputs: Inputs) -> Iterable[str]:
    source = inputs.get("cidrIpv4") or inputs.get("cidrIpv6")
    if source in WORLD:
        ports = {inputs.get("fromPort"), inputs.get("toPort")}
        if inputs.get("ipProtocol") != "tcp" or not ports <= PUBLIC_PORTS or len(ports) != 1:
            yield f"open to {source} on {sorted(map(str, ports))} (only tcp 80/443 may be)"


def _rule_protocol(inputs: Inputs) -> Iterable[str]:
    if inputs.get("ipProtocol") in {"-1", "all"}:
        yield "rule allows all protocols and ports"
    elif inputs.get("fromPort") != inputs.get("toPort"):
        yield f"rule opens a port range {inputs.get('fromPort')}-{inputs.get('toPort')}"


def _private_ports_by_reference(
    container_port: int,
) -> Callable[[Inputs], Iterable[str]]:
    def check(inputs: Inputs) -> Iterable[str]:
        port = inputs.get("fromPort")
        if port in DATA_PORTS | {container_port}:
            if inputs.get("cidrIpv4") or inputs.get("cidrIpv6") or inputs.get("prefixListId"):
                yield f"port {port} opened to an address range instead of a security group"
            if not inputs.get("referencedSecurityGroupId"):
                yield f"port {port} not restricted to a source security group"

    return check


def policies(facts: StackFacts) -> list[Policy]:
    r, s = resource_policy, stack_policy
    return [
        r("provider-default-tags", "1 stacks: tagged per stack", PROVIDER, _provider_tags),
        r("vpc-dns", "2 network: VPC", VPC, _vpc_dns),
        s("subnets-two-azs", "2 network: 2+ AZs, public/private tiers", _two_azs_per_tier),
        r(
            "subnets-no-public-ip",
            "2 network: nothing public by default",
            SUBNET,
            _no_public_ip_on_launch,
        ),
        s(
            "nat-gateways",
            "2 network: one NAT in staging, one per AZ in production",
            _nat_count("perAz" if facts.production else "single"),
        ),
        r("vpc-flow-logs", "2 network: traffic is auditable", FLOW_LOG, _flow_logs),
        r("default-sg-closed", "2 network: security groups", DEFAULT_SG, _default_sg_closed),
        r("sg-no-inline-rules", "2 network: security groups", SECURITY_GROUP, _no_inline_sg_rules),
        r(
            "sg-world-only-web",
            "2 network: ALB open on 80/443 only",
            INGRESS,
            _world_only_on_web_ports,
        ),
        r("sg-ingress-single-port", "2 network: one port per rule", INGRESS, _rule_protocol),
        r("sg-egress-single-port", "2 network: one port per rule", EGRESS, _rule_protocol),
        r(
            "sg-private-ports-by-reference",
            "2 network: tasks from ALB only; 5432/6379 from tasks only",
            INGRESS,
            _private_ports_by_reference(facts.container_port),
        ),
    ]
