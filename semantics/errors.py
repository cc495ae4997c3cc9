class ScenarioError(ValueError):
    """A scenario is malformed; the message names the offending field or value."""
