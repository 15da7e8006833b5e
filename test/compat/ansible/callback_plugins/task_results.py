# Prints the whole run as one JSON document on stdout when the playbook ends:
#   {"plays": [{"play": {"name"}, "tasks": [{"task": {"name"}, "hosts": {"<host>": <result>}}]}]}
# run.sh reads it with jq. It lives here so the runner needs only ansible-core, no extra collection.
from __future__ import annotations

import json

from ansible.parsing.ajson import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_results
type: stdout
short_description: the run as one JSON document of plays, tasks and per-host results
description: Collects every task's result per host and prints them as JSON when the run ends.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "task_results"

    def __init__(self, display=None):
        super().__init__(display)
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({"play": {"name": play.get_name()}, "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.plays[-1]["tasks"].append({"task": {"name": task.get_name()}, "hosts": {}})

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _record(self, result, **flags):
        outcome = dict(result._result)
        outcome.update(flags)
        self.plays[-1]["tasks"][-1]["hosts"][result._host.get_name()] = outcome

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True, failed=True)

    def v2_playbook_on_stats(self, stats):
        hosts = sorted(stats.processed.keys())
        summary = {h: stats.summarize(h) for h in hosts}
        self._display.display(
            json.dumps({"plays": self.plays, "stats": summary}, cls=AnsibleJSONEncoder, indent=2, sort_keys=True)
        )
