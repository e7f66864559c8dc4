"""The VPC: public subnets for the ALB, private subnets for tasks, isolated data subnets.

Per AZ, three /N+4 subnets: public (ALB, NAT), private (tasks; default route through a NAT) and
data (database and cache; no route out of the VPC at all). Security groups chain
internet -> ALB -> tasks -> database/cache, each hop on one port and by security-group reference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from copilot_platform.config import StackConfig
from copilot_platform.iam import Account, flow_logs_policy, service_assume_role

POSTGRES_PORT = 5432
REDIS_PORT = 6379
HTTP_PORT = 80
HTTPS_PORT = 443
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True, slots=True)
class NetworkArgs:
    stack: StackConfig
    account: pulumi.Output[Account]
    kms_key_arn: pulumi.Output[str]


class Network(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    data_subnet_ids: list[pulumi.Output[str]]
    nat_gateways: list[aws.ec2.NatGateway]
    alb_security_group: aws.ec2.SecurityGroup
    task_security_group: aws.ec2.SecurityGroup
    database_security_group: aws.ec2.SecurityGroup
    cache_security_group: aws.ec2.SecurityGroup

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("copilot:platform:Network", name, None, opts)
        self._label = name
        self._child = pulumi.ResourceOptions(parent=self)
        stack = args.stack
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=str(stack.network.vpc_cidr),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{stack.prefix}-vpc"},
            opts=self._child,
        )
        # Adopt the VPC's default security group and strip its rules, so nothing can use it.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, opts=self._child)
        self._subnets(stack)
        self._flow_logs(stack, args)
        self._security_groups(stack)
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "dataSubnetIds": self.data_subnet_ids,
            }
        )

    def _subnet(self, tier: str, index: int, cidr: str, zone: str) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            f"{self._label}-{tier}-{index}",
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone=zone,
            map_public_ip_on_launch=False,
            tags={"Name": f"{self._label}-{tier}-{zone}", "Tier": tier},
            opts=self._child,
        )

    def _route_table(self, label: str, subnets: list[aws.ec2.Subnet]) -> aws.ec2.RouteTable:
        table = aws.ec2.RouteTable(
            f"{self._label}-{label}-rt",
            vpc_id=self.vpc.id,
            tags={"Name": f"{self._label}-{label}"},
            opts=self._child,
        )
        for index, subnet in enumerate(subnets):
            aws.ec2.RouteTableAssociation(
                f"{self._label}-{label}-rta-{index}",
                route_table_id=table.id,
                subnet_id=subnet.id,
                opts=self._child,
            )
        return table

    def _subnets(self, stack: StackConfig) -> None:
        zones = stack.network.availability_zones
        public, private, data = (
            [
                self._subnet(tier, index, cidr, zone)
                for index, (cidr, zone) in enumerate(
                    zip(stack.network.subnet_cidrs(number), zones, strict=True)
                )
            ]
            for number, tier in enumerate(("public", "private", "data"))
        )
        internet = aws.ec2.InternetGateway(
            f"{self._label}-igw", vpc_id=self.vpc.id, opts=self._child
        )
        public_table = self._route_table("public", public)
        aws.ec2.Route(
            f"{self._label}-public-default",
            route_table_id=public_table.id,
            destination_cidr_block=ANYWHERE,
            gateway_id=internet.id,
            opts=self._child,
        )

        # Staging shares one NAT gateway; production has one per AZ so losing an AZ
        # never cuts the others off from AWS APIs and OpenAI.
        self.nat_gateways = []
        for index in range(stack.nat_count):
            address = aws.ec2.Eip(f"{self._label}-nat-eip-{index}", domain="vpc", opts=self._child)
            self.nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{self._label}-nat-{index}",
                    allocation_id=address.id,
                    subnet_id=public[index].id,
                    connectivity_type="public",
                    tags={"Name": f"{self._label}-nat-{zones[index]}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[internet]),
                )
            )
        private_tables = []
        for index, subnet in enumerate(private):
            table = self._route_table(f"private-{index}", [subnet])
            aws.ec2.Route(
                f"{self._label}-private-{index}-default",
                route_table_id=table.id,
                destination_cidr_block=ANYWHERE,
                nat_gateway_id=self.nat_gateways[index % stack.nat_count].id,
                opts=self._child,
            )
            private_tables.append(table)
        # Data subnets get a route table without any route out of the VPC.
        self._route_table("data", data)
        # Image layers come from S3: a free gateway endpoint keeps them off the NAT.
        aws.ec2.VpcEndpoint(
            f"{self._label}-s3-endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{stack.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in private_tables],
            opts=self._child,
        )
        self.public_subnet_ids = [subnet.id for subnet in public]
        self.private_subnet_ids = [subnet.id for subnet in private]
        self.data_subnet_ids = [subnet.id for subnet in data]

    def _flow_logs(self, stack: StackConfig, args: NetworkArgs) -> None:
        log_group = aws.cloudwatch.LogGroup(
            f"{self._label}-flow-logs",
            name=f"/copilot/{stack.environment}/vpc-flow-logs",
            retention_in_days=stack.service.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=self._child,
        )
        role = aws.iam.Role(
            f"{self._label}-flow-logs-role",
            description="VPC flow logs delivery to CloudWatch Logs",
            assume_role_policy=args.account.apply(
                lambda account: json.dumps(
                    service_assume_role(
                        "vpc-flow-logs", account, account.arn("ec2", "vpc-flow-log/*")
                    )
                )
            ),
            opts=self._child,
        )
        aws.iam.RolePolicy(
            f"{self._label}-flow-logs-policy",
            role=role.id,
            policy=log_group.arn.apply(lambda arn: json.dumps(flow_logs_policy(arn))),
            opts=self._child,
        )
        aws.ec2.FlowLog(
            f"{self._label}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=600,
            opts=self._child,
        )

    def _group(self, label: str, description: str) -> aws.ec2.SecurityGroup:
        # No inline rules: the provider then removes AWS's default allow-all egress rule,
        # and every allowed flow below is a separate, reviewable rule resource.
        return aws.ec2.SecurityGroup(
            f"{self._label}-{label}-sg",
            vpc_id=self.vpc.id,
            description=description,
            revoke_rules_on_delete=True,
            tags={"Name": f"{self._label}-{label}"},
            opts=self._child,
        )

    def _allow_in(
        self,
        label: str,
        group: aws.ec2.SecurityGroup,
        port: int,
        *,
        source: aws.ec2.SecurityGroup | None = None,
        cidr: str | None = None,
        description: str,
    ) -> None:
        aws.vpc.SecurityGroupIngressRule(
            f"{self._label}-{label}",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=source.id if source is not None else None,
            cidr_ipv4=cidr,
            description=description,
            opts=self._child,
        )

    def _allow_out(
        self,
        label: str,
        group: aws.ec2.SecurityGroup,
        port: int,
        *,
        destination: aws.ec2.SecurityGroup | None = None,
        cidr: str | None = None,
        description: str,
    ) -> None:
        aws.vpc.SecurityGroupEgressRule(
            f"{self._label}-{label}",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=destination.id if destination is not None else None,
            cidr_ipv4=cidr,
            description=description,
            opts=self._child,
        )

    def _security_groups(self, stack: StackConfig) -> None:
        port = stack.service.container_port
        alb = self._group("alb", "Application Load Balancer: HTTP(S) from the internet")
        tasks = self._group("tasks", "API tasks: container port from the ALB only")
        database = self._group("database", "PostgreSQL: 5432 from the API tasks only")
        cache = self._group("cache", "Redis: 6379 from the API tasks only")

        # Only the listener ports that exist are opened: 443 only when HTTPS is configured.
        public_ports = [HTTP_PORT, HTTPS_PORT] if stack.domain is not None else [HTTP_PORT]
        for public_port in public_ports:
            self._allow_in(
                f"alb-in-{public_port}",
                alb,
                public_port,
                cidr=ANYWHERE,
                description=f"Internet to the ALB on {public_port}",
            )
        self._allow_out("alb-out-tasks", alb, port, destination=tasks, description="ALB to tasks")
        self._allow_in("tasks-in-alb", tasks, port, source=alb, description="ALB to tasks")
        self._allow_out(
            "tasks-out-https",
            tasks,
            HTTPS_PORT,
            cidr=ANYWHERE,
            description="AWS APIs (ECR, Secrets Manager, Logs) and OpenAI over HTTPS",
        )
        self._allow_out(
            "tasks-out-postgres",
            tasks,
            POSTGRES_PORT,
            destination=database,
            description="Tasks to PostgreSQL",
        )
        self._allow_out(
            "tasks-out-redis", tasks, REDIS_PORT, destination=cache, description="Tasks to Redis"
        )
        self._allow_in(
            "database-in-tasks",
            database,
            POSTGRES_PORT,
            source=tasks,
            description="Tasks to PostgreSQL",
        )
        self._allow_in(
            "cache-in-tasks", cache, REDIS_PORT, source=tasks, description="Tasks to Redis"
        )
        self.alb_security_group = alb
        self.task_security_group = tasks
        self.database_security_group = database
        self.cache_security_group = cache
