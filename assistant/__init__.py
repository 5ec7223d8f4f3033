"""The city-concierge assistant: dialogue manager, recommender, channels and the CLI."""

__version__ = "0.1.0"
