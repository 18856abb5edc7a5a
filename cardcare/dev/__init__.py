"""Developer tools: the `cardcare` command, the stack runner, chat, evaluation, benchmark, driver.

Nothing a running CardCare process loads lives here, so these tools may import every folder
while the runtime part of ``cardcare`` imports none (``tests/test_import_boundaries.py``).
"""
