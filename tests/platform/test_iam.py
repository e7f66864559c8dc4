"""Policy documents: scoped to the account, region-aware where AWS is."""

from __future__ import annotations

from copilot_platform.iam import (
    Account,
    access_logs_bucket_policy,
    ecs_tasks_assume_role,
    execution_role_policy,
)

ACCOUNT = Account(account_id="123456789012", partition="aws", region="us-east-1")


def _principals(document: dict[str, object]) -> list[object]:
    statements = document["Statement"]
    assert isinstance(statements, list)
    return [s["Principal"] for s in statements if s["Effect"] == "Allow"]


def test_legacy_regions_also_trust_their_elb_account() -> None:
    principals = _principals(access_logs_bucket_policy("arn:aws:s3:::logs", "alb", ACCOUNT))
    assert {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"} in principals
    assert {"AWS": "arn:aws:iam::127311923021:root"} in principals


def test_newer_regions_use_the_log_delivery_service_only() -> None:
    account = Account(account_id="123456789012", partition="aws", region="ap-southeast-4")
    principals = _principals(access_logs_bucket_policy("arn:aws:s3:::logs", "alb", account))
    assert principals == [{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}]


def test_log_delivery_is_limited_to_this_accounts_prefix() -> None:
    document = access_logs_bucket_policy("arn:aws:s3:::logs", "alb", ACCOUNT)
    allowed = [s for s in document["Statement"] if s["Effect"] == "Allow"]
    assert {s["Resource"] for s in allowed} == {"arn:aws:s3:::logs/alb/AWSLogs/123456789012/*"}


def test_task_roles_trust_ecs_for_this_account_only() -> None:
    (statement,) = ecs_tasks_assume_role(ACCOUNT)["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert statement["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:*"
    }


def test_execution_role_names_each_resource() -> None:
    document = execution_role_policy(
        repository_arn="arn:aws:ecr:us-east-1:123456789012:repository/copilot/staging/api",
        log_group_arn="arn:aws:logs:us-east-1:123456789012:log-group:/copilot/staging/api",
        secret_arns=["arn:b", "arn:a", "arn:a"],
        kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k",
        account=ACCOUNT,
    )
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["ReadSecrets"]["Resource"] == ["arn:a", "arn:b"]
    assert by_sid["WriteLogs"]["Resource"].endswith(":log-group:/copilot/staging/api:log-stream:*")
    assert by_sid["DecryptSecrets"]["Condition"]["StringEquals"] == {
        "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"
    }
    wildcard = [s["Sid"] for s in document["Statement"] if s["Resource"] == "*"]
    assert wildcard == ["EcrLogin"]
