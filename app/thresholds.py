"""The anonymity thresholds, read once from the settings and handed on as one value."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    """k (HEARD_MIN_GROUP): the fewest respondents a group needs before any figure of it
    shows; k_comments (HEARD_MIN_GROUP_COMMENTS): the fewest before its comments show.

    Frozen, so it can key the figures cached per round: facts worked out under one pair
    are never served under another.
    """
    k: int
    k_comments: int

    @classmethod
    def from_config(cls, config):
        """The pair the settings check typed (app.config), stored once by create_app."""
        return cls(int(config["MIN_GROUP"]), int(config["MIN_GROUP_COMMENTS"]))
