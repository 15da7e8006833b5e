#!/usr/bin/python3
"""Drives the installed OpenStack Cinder Hitachi driver (Debian's python3-cinder) against a
Configuration Manager REST server, one driver operation at a time, as cinder-volume would call it.

    /usr/bin/python3 drive.py SETUP.json

SETUP.json names the server and the array's objects (see `read_setup`). Every step prints one JSON
line on stdout, in order:

    {"step": "create_volume", "ok": true, "seconds": 0.4, "result": {...}}
    {"step": "extend_volume", "ok": false, "seconds": 3.1, "error": "...", "log": ["..."]}
    {"step": "create_snapshot", "ok": false, "blocked_by": "create_volume"}

A step whose prerequisite failed is not run (`blocked_by`). `log` holds the driver's own warnings
and errors during the step (they name the REST call and the answer that failed it); the full debug
log, with every request, is the `driver.log` of the work directory.

It must run under the interpreter the package was built for (/usr/bin/python3), not a virtualenv.
"""

# cinder-volume runs green: the driver's retry sleeps, copy-status polls and the session keep-alive
# loop are eventlet green threads. Patch before anything else is imported, as cinder's own
# entry point does.
import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import uuid  # noqa: E402
from unittest import mock  # noqa: E402

from oslo_config import cfg  # noqa: E402
from oslo_log import log as oslo_log  # noqa: E402

from cinder import objects  # noqa: E402

objects.register_all()

from cinder.common import config as _cinder_common_config  # noqa: E402,F401  (registers my_ip, …)
from cinder import context as cinder_context  # noqa: E402
from cinder import coordination  # noqa: E402
from cinder.tests.unit import fake_snapshot, fake_volume  # noqa: E402
from cinder.volume import configuration as volume_configuration  # noqa: E402
from cinder.volume import driver as volume_driver  # noqa: E402
from cinder.volume import manager as volume_manager  # noqa: E402
from cinder.volume import volume_utils  # noqa: E402
from cinder.volume.drivers.hitachi import hbsd_fc, hbsd_iscsi, hbsd_rest_api  # noqa: E402

CONF = cfg.CONF

# Short waits: on a real array the driver waits minutes to hours for locks, busy answers and copy
# pairs; against a test server a step that is not served must fail within seconds. Each key is a
# driver option; SETUP.json's "timeouts" may override any of them.
SHORT_TIMEOUTS = {
    "hitachi_lock_timeout": 3,  # also the login's retry budget
    "hitachi_rest_timeout": 3,
    "hitachi_exec_retry_interval": 1,
    "hitachi_extend_timeout": 10,
    "hitachi_lun_timeout": 5,
    "hitachi_lun_retry_interval": 1,
    "hitachi_restore_timeout": 30,
    "hitachi_state_transition_timeout": 30,
    "hitachi_copy_check_interval": 1,
    "hitachi_async_copy_check_interval": 1,
    "hitachi_rest_connect_timeout": 5,
    "hitachi_rest_job_api_response_timeout": 60,
    "hitachi_rest_get_api_response_timeout": 60,
    "hitachi_rest_server_busy_timeout": 5,
    "hitachi_rest_another_ldev_mapped_retry_timeout": 5,
    "hitachi_rest_keep_session_loop_interval": 180,
}
# How long a 500 or a 503 keeps the driver retrying: module constants (600 s each), not options.
# The driver's unit tests shorten them the same way.
SHORT_SERVER_ERROR_TIMEOUT = 5


def read_setup(path):
    """The run's parameters; every key but the optional ones is required."""
    with open(path) as f:
        setup = json.load(f)
    required = ["san_ip", "san_api_port", "san_login", "san_password", "storage_id", "pool",
                "fc_ports", "iscsi_ports", "work_dir"]
    missing = [k for k in required if k not in setup]
    if missing:
        raise SystemExit("SETUP.json lacks: " + ", ".join(missing))
    setup.setdefault("ca_file", None)  # verify the server's certificate against this CA file
    setup.setdefault("manage_ldev", None)  # an LDEV made outside Cinder, for manage_existing
    setup.setdefault("host", "compute-1")
    setup.setdefault("my_ip", "127.0.0.1")
    setup.setdefault("wwpns", ["100000109b0a0001"])
    setup.setdefault("initiator", "iqn.1994-05.com.redhat:compute-1")
    setup.setdefault("timeouts", {})
    setup.setdefault("server_error_timeout", SHORT_SERVER_ERROR_TIMEOUT)
    setup.setdefault("steps", None)  # only these steps (and nothing they need is run for them)
    return setup


def write_cinder_conf(setup):
    """A cinder.conf with one back end per protocol, as an operator would write it."""
    work = setup["work_dir"]
    locks = os.path.join(work, "locks")
    os.makedirs(locks, exist_ok=True)
    timeouts = {**SHORT_TIMEOUTS, **setup["timeouts"]}
    lines = [
        "[DEFAULT]",
        "my_ip = %s" % setup["my_ip"],
        "state_path = %s" % work,
        "enabled_backends = hbsd_fc,hbsd_iscsi",
        "[coordination]",
        "backend_url = file://%s" % locks,
    ]
    for name, driver, ports in (
        ("hbsd_fc", "cinder.volume.drivers.hitachi.hbsd_fc.HBSDFCDriver", setup["fc_ports"]),
        ("hbsd_iscsi", "cinder.volume.drivers.hitachi.hbsd_iscsi.HBSDISCSIDriver", setup["iscsi_ports"]),
    ):
        lines += [
            "[%s]" % name,
            "volume_driver = %s" % driver,
            "volume_backend_name = %s" % name,
            "san_ip = %s" % setup["san_ip"],
            "san_api_port = %s" % setup["san_api_port"],
            "san_login = %s" % setup["san_login"],
            "san_password = %s" % setup["san_password"],
            "hitachi_storage_id = %s" % setup["storage_id"],
            "hitachi_pool = %s" % setup["pool"],
            "hitachi_target_ports = %s" % ",".join(ports),
            "hitachi_compute_target_ports = %s" % ",".join(ports),
            "hitachi_group_create = True",
            "hitachi_group_delete = True",
        ]
        if setup["ca_file"]:
            lines += ["driver_ssl_cert_verify = True", "driver_ssl_cert_path = %s" % setup["ca_file"]]
        else:
            lines += ["driver_ssl_cert_verify = False"]
        lines += ["%s = %s" % (k, v) for k, v in sorted(timeouts.items())]
    path = os.path.join(work, "cinder.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class StepLog(logging.Handler):
    """Keeps the driver's warnings and errors of the current step, for that step's report."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        try:
            self.records.append("%s %s" % (record.levelname, record.getMessage()[:600]))
        except Exception:  # a log line that cannot be formatted must not fail the step
            pass

    def take(self):
        records, self.records = self.records, []
        return records


def configure(setup):
    conf_path = write_cinder_conf(setup)
    oslo_log.register_options(CONF)
    CONF(args=[], project="cinder", default_config_files=[conf_path])
    CONF.set_override("debug", True)
    CONF.set_override("log_file", os.path.join(setup["work_dir"], "driver.log"))
    # Every REST call and its answer in driver.log.
    CONF.set_override("trace_flags", ["method"])
    oslo_log.setup(CONF, "cinder")
    step_log = StepLog()
    logging.getLogger("cinder").addHandler(step_log)
    hbsd_rest_api._REST_SERVER_RESTART_TIMEOUT = setup["server_error_timeout"]
    hbsd_rest_api._REST_SERVER_ERROR_TIMEOUT = setup["server_error_timeout"]
    coordination.COORDINATOR.start()
    return step_log


def connector(setup):
    """The compute host's connector: what os-brick reports for a host with one FC HBA and an
    iSCSI initiator. Its IP is my_ip, so the driver uses hitachi_target_ports."""
    return {
        "host": setup["host"],
        "ip": setup["my_ip"],
        "wwpns": list(setup["wwpns"]),
        "initiator": setup["initiator"],
        "multipath": False,
        "platform": "x86_64",
        "os_type": "linux2",
    }


def plain(value):
    """A driver result as JSON: objects by their fields, everything else as text."""
    return json.loads(json.dumps(value, default=str))


class Run:
    def __init__(self, setup, step_log):
        self.setup = setup
        self.step_log = step_log
        self.ctxt = cinder_context.get_admin_context()
        self.connector = connector(setup)
        self.drivers = {}
        self.volumes = {}
        self.snapshots = {}
        self.outcome = {}  # step -> True/False (not run: absent)

    # Objects as the driver's unit tests make them: real versioned objects, no database.
    def volume(self, key, size, provider_location=None):
        vol = fake_volume.fake_volume_obj(
            self.ctxt,
            id=str(uuid.uuid4()),
            size=size,
            provider_location=provider_location,
            volume_type_id=None,
            multiattach=False,
        )
        self.volumes[key] = vol
        return vol

    def snapshot(self, key, volume):
        snap = fake_snapshot.fake_snapshot_obj(
            self.ctxt,
            id=str(uuid.uuid4()),
            volume_id=volume.id,
            volume_size=volume.size,
            volume=volume,
            provider_location=None,
        )
        self.snapshots[key] = snap
        return snap

    def make_driver(self, name, cls):
        # As cinder-volume makes it: the back end's section with the back-end options (the driver
        # adds its own); the generic driver options are registered too, as the manager's import does.
        configuration = volume_configuration.Configuration(
            volume_manager.volume_backend_opts + volume_driver.volume_opts, config_group=name)
        drv = cls(configuration=configuration, db=None, host="blockplane-test@" + name)
        self.drivers[name] = drv
        return drv

    # The steps. Each returns what it reports as `result`, or raises.
    def do_setup(self, name, cls):
        drv = self.make_driver(name, cls)
        # do_setup asks os-brick for this host's connector; the unit tests patch it the same way.
        with mock.patch.object(volume_utils, "brick_get_connector_properties",
                               return_value=self.connector):
            drv.do_setup(self.ctxt)
        info = drv.common.storage_info
        return {"pool_id": info["pool_id"], "controller_ports": info["controller_ports"],
                "wwns": info["wwns"], "portals": info["portals"]}

    def check_for_setup_error(self, name):
        self.drivers[name].check_for_setup_error()
        return None

    def get_volume_stats(self, name):
        stats = self.drivers[name].get_volume_stats(refresh=True)
        pool = stats["pools"][0]
        # The driver turns a failed pool query into backend_state "down" instead of raising.
        if pool.get("backend_state") != "up":
            raise RuntimeError("the driver could not read the pool: backend_state %r"
                               % pool.get("backend_state"))
        return {k: pool.get(k) for k in ("total_capacity_gb", "free_capacity_gb",
                                         "provisioned_capacity_gb", "backend_state")}

    def create_volume(self):
        vol = self.volume("volume", 1)
        model = self.drivers["hbsd_fc"].create_volume(vol)
        vol.provider_location = model["provider_location"]
        return {"provider_location": vol.provider_location, "id": vol.id, "size": vol.size}

    def extend_volume(self):
        vol = self.volumes["volume"]
        self.drivers["hbsd_fc"].extend_volume(vol, 2)
        vol.size = 2
        return {"provider_location": vol.provider_location, "size": 2}

    def create_snapshot(self):
        snap = self.snapshot("snapshot", self.volumes["volume"])
        model = self.drivers["hbsd_fc"].create_snapshot(snap)
        snap.provider_location = model["provider_location"]
        return {"provider_location": snap.provider_location, "id": snap.id,
                "volume_size": snap.volume_size}

    def create_volume_from_snapshot(self):
        snap = self.snapshots["snapshot"]
        vol = self.volume("from_snapshot", snap.volume_size)
        model = self.drivers["hbsd_fc"].create_volume_from_snapshot(vol, snap)
        vol.provider_location = model["provider_location"]
        return {"provider_location": vol.provider_location, "id": vol.id, "size": vol.size}

    def create_cloned_volume(self):
        src = self.volumes["volume"]
        vol = self.volume("clone", src.size)
        model = self.drivers["hbsd_fc"].create_cloned_volume(vol, src)
        vol.provider_location = model["provider_location"]
        return {"provider_location": vol.provider_location, "id": vol.id, "size": vol.size}

    def revert_to_snapshot(self):
        self.drivers["hbsd_fc"].revert_to_snapshot(
            self.ctxt, self.volumes["volume"], self.snapshots["snapshot"])
        return None

    def initialize_connection(self, name):
        info = self.drivers[name].initialize_connection(self.volumes["volume"], self.connector)
        return plain(info)

    def terminate_connection(self, name):
        return plain(self.drivers[name].terminate_connection(self.volumes["volume"], self.connector))

    def manage_ref(self):
        if self.setup["manage_ldev"] is None:
            raise RuntimeError("SETUP.json names no manage_ldev")
        return {"source-id": str(self.setup["manage_ldev"])}

    def manage_existing_get_size(self):
        vol = self.volume("managed", 0)
        size = self.drivers["hbsd_fc"].manage_existing_get_size(vol, self.manage_ref())
        vol.size = int(size)
        return {"size": size}

    def manage_existing(self):
        vol = self.volumes.get("managed") or self.volume("managed", 1)
        model = self.drivers["hbsd_fc"].manage_existing(vol, self.manage_ref())
        vol.provider_location = model["provider_location"]
        return {"provider_location": vol.provider_location, "id": vol.id}

    def unmanage(self):
        self.drivers["hbsd_fc"].unmanage(self.volumes["managed"])
        return {"provider_location": self.volumes["managed"].provider_location}

    def delete_volume(self, key):
        vol = self.volumes[key]
        self.drivers["hbsd_fc"].delete_volume(vol)
        return {"provider_location": vol.provider_location}

    def delete_snapshot(self):
        snap = self.snapshots["snapshot"]
        self.drivers["hbsd_fc"].delete_snapshot(snap)
        return {"provider_location": snap.provider_location}

    def steps(self):
        """(name, prerequisites, action), in the order cinder-volume could call them."""
        fc, iscsi = hbsd_fc.HBSDFCDriver, hbsd_iscsi.HBSDISCSIDriver
        return [
            ("fc.do_setup", [], lambda: self.do_setup("hbsd_fc", fc)),
            ("fc.check_for_setup_error", ["fc.do_setup"], lambda: self.check_for_setup_error("hbsd_fc")),
            ("fc.get_volume_stats", ["fc.do_setup"], lambda: self.get_volume_stats("hbsd_fc")),
            ("create_volume", ["fc.do_setup"], self.create_volume),
            ("extend_volume", ["create_volume"], self.extend_volume),
            ("create_snapshot", ["create_volume"], self.create_snapshot),
            ("create_volume_from_snapshot", ["create_snapshot"], self.create_volume_from_snapshot),
            ("create_cloned_volume", ["create_volume"], self.create_cloned_volume),
            ("revert_to_snapshot", ["create_snapshot"], self.revert_to_snapshot),
            ("fc.initialize_connection", ["create_volume"], lambda: self.initialize_connection("hbsd_fc")),
            ("fc.terminate_connection", ["fc.initialize_connection"],
             lambda: self.terminate_connection("hbsd_fc")),
            ("iscsi.do_setup", [], lambda: self.do_setup("hbsd_iscsi", iscsi)),
            ("iscsi.check_for_setup_error", ["iscsi.do_setup"],
             lambda: self.check_for_setup_error("hbsd_iscsi")),
            ("iscsi.initialize_connection", ["iscsi.do_setup", "create_volume"],
             lambda: self.initialize_connection("hbsd_iscsi")),
            ("iscsi.terminate_connection", ["iscsi.initialize_connection"],
             lambda: self.terminate_connection("hbsd_iscsi")),
            ("manage_existing_get_size", ["fc.do_setup"], self.manage_existing_get_size),
            ("manage_existing", ["fc.do_setup"], self.manage_existing),
            ("unmanage", ["manage_existing"], self.unmanage),
            ("delete_volume_from_snapshot", ["create_volume_from_snapshot"],
             lambda: self.delete_volume("from_snapshot")),
            ("delete_cloned_volume", ["create_cloned_volume"], lambda: self.delete_volume("clone")),
            ("delete_snapshot", ["create_snapshot"], self.delete_snapshot),
            ("delete_volume", ["create_volume"], lambda: self.delete_volume("volume")),
        ]

    def run(self):
        wanted = self.setup["steps"]
        for name, needs, action in self.steps():
            if wanted is not None and name not in wanted:
                continue
            blocker = next((n for n in needs if self.outcome.get(n) is not True), None)
            if blocker is not None:
                report({"step": name, "ok": False, "blocked_by": blocker})
                continue
            self.step_log.take()
            start = time.monotonic()
            line = {"step": name}
            try:
                result = action()
                line.update(ok=True, result=plain(result))
            except BaseException as e:  # a driver failure of any kind is this step's result
                if isinstance(e, KeyboardInterrupt):
                    raise
                line.update(ok=False, error="%s: %s" % (type(e).__name__, e),
                            where=traceback.format_exc(limit=-3).splitlines()[-4:])
            line["seconds"] = round(time.monotonic() - start, 3)
            logs = self.step_log.take()
            if logs:
                line["log"] = logs[-8:]
            self.outcome[name] = line["ok"]
            report(line)

    def close(self):
        for drv in self.drivers.values():
            client = getattr(drv.common, "client", None)
            loop = getattr(client, "keep_session_loop", None)
            if loop is not None and loop._running:
                loop.stop()
        coordination.COORDINATOR.stop()


# With DRIVE_LOCKSTEP=1 each reported step waits for a line on stdin before the next one runs, so
# that the caller can check the array's state as that step left it.
LOCKSTEP = os.environ.get("DRIVE_LOCKSTEP") == "1"


def report(line):
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
    if LOCKSTEP:
        sys.stdin.readline()


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    setup = read_setup(sys.argv[1])
    step_log = configure(setup)
    run = Run(setup, step_log)
    try:
        run.run()
    finally:
        run.close()


if __name__ == "__main__":
    main()
