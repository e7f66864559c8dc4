import sys

from copilot_api.cli import main

sys.exit(main())
