import sys

from scoregames.cli import main

sys.exit(main())
