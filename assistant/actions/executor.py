"""Run rasa-sdk actions in this process through rasa-sdk's own ``ActionExecutor``.

The request and the result go through the same JSON encoding as the remote runner, so an
action sees the same tracker either way, cannot mutate the caller's tracker, and a result
that would not survive the wire fails here too.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import logging
import pkgutil
import threading
import types
from concurrent.futures import ThreadPoolExecutor

from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from assistant import __version__
from assistant.actions.bridge import (
    CRASHED,
    TIMEOUT,
    ActionFailed,
    ActionNotFound,
    ActionRejected,
    ActionResult,
    ActionRunner,
    decode_action_result,
    encode_action_call,
)

logger = logging.getLogger(__name__)


class InProcessActionRunner(ActionRunner):
    """Runs the ``Action`` subclasses of one module or package (``"data.actions"``), sync or async.

    ``timeout`` (seconds) bounds async actions; a sync action blocks until it returns, as it
    would block a rasa-sdk server's worker.
    """

    def __init__(self, actions_module: str, timeout: float | None = None, version: str = __version__):
        self.actions_module = actions_module
        self.timeout = timeout
        self.version = version
        self._executor = ActionExecutor()
        modules = _import_tree(actions_module)
        # rasa-sdk registers every Action subclass imported anywhere in the process, not only
        # the package's; keep the package's own, as a server started on it would have.
        self._executor.register_package(actions_module)
        own = {obj for module in modules for obj in vars(module).values()
               if inspect.isclass(obj) and issubclass(obj, Action)}
        self._executor.actions = {name: run for name, run in self._executor.actions.items()
                                  if type(getattr(run, "__self__", None)) in own}
        self._loops = threading.local()
        self._all_loops: list[asyncio.AbstractEventLoop] = []
        self._lock = threading.Lock()

    def action_names(self) -> list[str]:
        return sorted(self._executor.actions)

    def run(self, action_name: str, tracker: dict, domain: dict) -> ActionResult:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._thread_loop().run_until_complete(self.arun(action_name, tracker, domain))
        # Sync code called from inside an event loop: that loop is busy, run on a helper thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, self.arun(action_name, tracker, domain)).result()

    async def arun(self, action_name: str, tracker: dict, domain: dict) -> ActionResult:
        call = json.loads(encode_action_call(action_name, tracker, domain, self.version))
        task = asyncio.ensure_future(self._executor.run(call))
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        if not done:
            task.cancel()
            await asyncio.sleep(0)  # let the cancellation reach the action before we leave the loop
            raise ActionFailed(action_name, TIMEOUT, f"no result within {self.timeout:g} s")
        try:
            result = task.result()
        except ActionExecutionRejection as exc:
            raise ActionRejected(action_name, exc.message) from None
        except ActionNotFoundException as exc:
            raise ActionNotFound(action_name, exc.message) from None
        except Exception as exc:
            logger.exception("action '%s' crashed", action_name)
            raise ActionFailed(action_name, CRASHED, str(exc)) from exc
        try:
            payload = json.loads(json.dumps(result.model_dump(), allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise ActionFailed(action_name, CRASHED, f"its events or responses are not plain JSON ({exc})") from exc
        return decode_action_result(action_name, payload)

    def close(self) -> None:
        with self._lock:
            loops, self._all_loops = self._all_loops, []
        for loop in loops:
            if not loop.is_running():
                loop.close()

    def _thread_loop(self) -> asyncio.AbstractEventLoop:
        """One event loop per calling thread, kept between runs (a new loop per run costs ~10x more)."""
        loop = getattr(self._loops, "loop", None)
        if loop is None or loop.is_closed():
            loop = self._loops.loop = asyncio.new_event_loop()
            with self._lock:
                self._all_loops.append(loop)
        return loop


def _import_tree(name: str) -> list[types.ModuleType]:
    """Import a module, or a package and all its submodules; an ImportError surfaces as is.

    (rasa-sdk's ``register_package`` calls ``sys.exit(1)`` on an ImportError, which must not
    end the assistant; importing first means it only ever sees modules already loaded.)
    """
    module = importlib.import_module(name)
    modules = [module]
    for info in pkgutil.iter_modules(getattr(module, "__path__", None) or [], prefix=f"{name}."):
        modules += _import_tree(info.name) if info.ispkg else [importlib.import_module(info.name)]
    return modules
