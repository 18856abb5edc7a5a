"""CardCare: code shared by more than one process, and the `cardcare` command line."""
