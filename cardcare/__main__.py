"""`python -m cardcare` is the `cardcare` command (``cardcare.dev.cli``)."""

from cardcare.dev.cli import main

raise SystemExit(main())
