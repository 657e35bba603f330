"""``python -m bot``: the clusterbot command line."""

from .cli import main

main(prog_name="clusterbot")
