"""The one exception type users see.

Anything raised as `LthError` is a problem with the user's input (a config key, a file, a model
name); the CLI prints it as a single line naming the culprit and exits non-zero, without a
traceback. Any other exception is a bug and keeps its traceback.
"""


class LthError(Exception):
    """Bad input: the message names the culprit and what would be accepted."""
