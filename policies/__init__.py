"""Pure decision logic over the dialogue state; no I/O.

- ``task_policy``: which task a request belongs to; start, merge, suspend, resume, cancel; serving order.
- ``slot_policy``: validation, corrections, the next slot to ask, confirmation, the action to run.
- ``fallback``: low confidence or a close second intent -> a clarifying question, or what we can do.
- ``conflicts``: duplicates, profile constraints, clashes in time and place, tasks left waiting.
- ``decisions``: the typed records they return; ``context``: settings, requests, the pending question;
  ``cues``: urgency, ordering, "back to ...", yes/no; ``index``: per-domain look-ups.
"""
