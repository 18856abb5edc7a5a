"""CardCare: what more than one running process imports; the developer tools are in ``dev``."""
