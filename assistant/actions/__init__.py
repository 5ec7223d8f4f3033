"""Fulfilment actions written against rasa-sdk, run in-process or on a remote action server.

    runner = make_action_runner()                                   # data.actions, in this process
    runner = make_action_runner(url="http://localhost:5055")        # python -m rasa_sdk --actions data.actions
    result = runner.run("action_book_taxi", tracker, domain)        # ActionResult(events, responses)

Both runners give the same ActionResult for the same input, and raise ActionRejected,
ActionNotFound or ActionFailed (all ActionError, each with ``user_message``) when an action
does not complete.
"""

from __future__ import annotations

from assistant.actions.bridge import (
    ActionError,
    ActionFailed,
    ActionNotFound,
    ActionRejected,
    ActionResult,
    ActionRunner,
    encode_action_call,
)

DEFAULT_ACTIONS_MODULE = "data.actions"
DEFAULT_TIMEOUT_S = 10.0


def make_action_runner(url: str | None = None, actions_module: str = DEFAULT_ACTIONS_MODULE,
                       timeout: float = DEFAULT_TIMEOUT_S) -> ActionRunner:
    """A remote runner when an action-server URL is configured, else an in-process one."""
    if url:
        from assistant.actions.remote import RemoteActionRunner

        return RemoteActionRunner(url, timeout=timeout)
    from assistant.actions.executor import InProcessActionRunner

    return InProcessActionRunner(actions_module, timeout=timeout)


def __getattr__(name: str):
    # The runners import rasa-sdk or httpx; load them only when asked for.
    if name == "InProcessActionRunner":
        from assistant.actions.executor import InProcessActionRunner

        return InProcessActionRunner
    if name == "RemoteActionRunner":
        from assistant.actions.remote import RemoteActionRunner

        return RemoteActionRunner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ActionError",
    "ActionFailed",
    "ActionNotFound",
    "ActionRejected",
    "ActionResult",
    "ActionRunner",
    "InProcessActionRunner",
    "RemoteActionRunner",
    "encode_action_call",
    "make_action_runner",
]
