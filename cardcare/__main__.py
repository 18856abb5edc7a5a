"""`python -m cardcare` is the `cardcare` command."""

from cardcare.cli import main

raise SystemExit(main())
