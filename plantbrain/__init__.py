"""plantbrain: how it runs — the command line, the service and the runtime around the agents."""

__version__ = "0.1.0"
