class AnalysisError(Exception):
    """Analysis cannot proceed on this input; the message is one line for the user."""
