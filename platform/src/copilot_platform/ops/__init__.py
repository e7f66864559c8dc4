"""Day-2 operations on a deployed stack: find the service, verify a deploy, roll it back.

Driven by `scripts/deploy.sh`; the entry points are `python -m copilot_platform.ops` (all
commands) and `python -m copilot_platform.ops.rollback`. Only boto3 and the standard library:
these run on a deploy runner, not inside Pulumi.
"""

from copilot_platform.ops.errors import OpsError

__all__ = ["OpsError"]
