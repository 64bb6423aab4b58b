"""`python -m wheelhook`: the command line."""

from wheelhook._cli import main

raise SystemExit(main())
