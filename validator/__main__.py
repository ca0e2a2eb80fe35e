"""`python -m validator` is `arm-validator`."""
import sys

from .cli import main

sys.exit(main())
