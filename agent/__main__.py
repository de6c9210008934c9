import sys

from agent.cli import entry

sys.exit(entry())
