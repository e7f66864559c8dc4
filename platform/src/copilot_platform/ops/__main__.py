"""`python -m copilot_platform.ops COMMAND` (see `copilot_platform.ops.cli`)."""

import sys

from copilot_platform.ops.cli import main

sys.exit(main())
