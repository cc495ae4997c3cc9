class HookdebateError(Exception):
    """An error in the app layer (store, report, CLI) meant for the user, one line."""
