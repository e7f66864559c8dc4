"""The one error type of the ops tools: a message an operator can act on, printed on one line."""


class OpsError(Exception):
    """Something an operator must fix or know (bad input, missing service, unstable service)."""
