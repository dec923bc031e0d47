import sys

from flower_demo.cli import main

sys.exit(main())
