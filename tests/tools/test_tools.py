"""Every tool against an in-process plant, with asserts on what the plant shows afterwards.

Read tools are checked against the plant's own answers (`GET /state` or the raw endpoint); write
tools against the state they change. The plant starts at 07:00 on shift A, one hour after reset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tools as t
from tests.tools.support import Env, run_plant
from tools._routes import risk_of, tool_for


def _one(items: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    (found,) = [x for x in items if all(x[k] == v for k, v in match.items())]
    return found


# -- reads -------------------------------------------------------------------------------------------
def test_clock_plant_info_state_and_events() -> None:
    async def body(env: Env) -> None:
        c = env.client
        clock = await t.get_clock(c, t.NoArgs())
        assert clock.t == 3600.0 and clock.shift == "A"
        info = await t.get_plant_info(c, t.NoArgs())
        assert (info.seed, info.scenario, info.clock) == (0, None, clock)
        state = await t.get_plant_state(c, t.NoArgs())
        raw = await env.state()
        assert state.history_sha256 == raw["history_sha256"]
        assert [a.id for a in state.assets] == [a["id"] for a in raw["assets"]]
        assert len(state.assets) == info.assets and len(state.tags) == info.tags
        page = await t.list_events(c, t.ListEventsArgs(limit=5))
        assert [e.seq for e in page.events] == [1, 2, 3, 4, 5] and page.next_cursor == 5
        assert page.events[0].type == "schedule.published" and page.events[0].data["by"] == "mes"
        alarms_only = await t.list_events(c, t.ListEventsArgs(type="alarm.", limit=10000))
        assert alarms_only.events and all(e.type.startswith("alarm.") for e in alarms_only.events)

    run_plant(body)


def test_topology_assets_and_failure_modes() -> None:
    async def body(env: Env) -> None:
        c = env.client
        topo = await t.get_topology(c, t.NoArgs())
        assert [ln.id for ln in topo.lines] == ["L1", "L2", "L3"]
        pump = next(u for u in topo.utilities if u.supplies == "coolant")
        assets = await t.list_assets(c, t.ListAssetsArgs())
        assert [a.id for a in assets.assets] == [a["id"] for a in (await env.state())["assets"]]
        l2 = await t.list_assets(c, t.ListAssetsArgs(line="L2", category="machine"))
        assert l2.assets and {a.line for a in l2.assets} == {"L2"}
        assert {m.id for m in topo.lines[1].machines} == {a.id for a in l2.assets}
        fed = await t.get_asset(c, t.GetAssetArgs(asset_id=pump.feeds[0]))
        assert pump.id in fed.fed_by and fed.tags and fed.open_work_orders == []
        cnc = await t.get_asset(c, t.GetAssetArgs(asset_id="CNC-1"))
        assert cnc.setpoints is not None and cnc.setpoints[0].name == "spindle_speed"
        modes = await t.get_asset_failure_modes(c, t.GetAssetArgs(asset_id="CNC-1"))
        by_type = await t.list_failure_modes(c, t.ListFailureModesArgs(asset_type="cnc"))
        assert list(by_type.by_type) == ["cnc"] and by_type.by_type["cnc"] == modes.failure_modes
        everything = await t.list_failure_modes(c, t.ListFailureModesArgs())
        assert "coolant_pump" in everything.by_type and len(everything.by_type) > 1
        assert any(r.tag == "coolant_flow" for m in modes.failure_modes for r in m.reveals)

    run_plant(body)


def test_tags_history_and_setpoint_reads() -> None:
    async def body(env: Env) -> None:
        c = env.client
        tags = await t.list_tags(c, t.ListTagsArgs(asset="CNC-1"))
        assert tags.tags and {x.asset for x in tags.tags} == {"CNC-1"}
        raw = await env.state()
        tag = await t.get_tag(c, t.GetTagArgs(tag_id="CNC-1.spindle_temp"))
        assert tag.value == raw["tags"]["CNC-1.spindle_temp"] and tag.unit == "degC"
        temps = await t.list_tags(c, t.ListTagsArgs(kind="temperature"))
        assert all(x.kind == "temperature" for x in temps.tags)
        hist = await t.get_tag_history(
            c, t.GetTagHistoryArgs(tag_id="CNC-1.spindle_temp", since_t=600, until_t=1800, max_points=12)
        )
        assert hist.tag == "CNC-1.spindle_temp" and 1 <= len(hist.points) <= 12
        assert all(600 <= p.t <= 1800 and p.min <= p.value <= p.max for p in hist.points)
        sps = await t.list_setpoints(c, t.ListSetpointsArgs(asset="CNC-1"))
        assert [s.model_dump() for s in sps.setpoints] == [
            s for s in raw["setpoints"] if s["asset"] == "CNC-1"
        ]

    run_plant(body)


def test_production_and_maintenance_reads() -> None:
    async def body(env: Env) -> None:
        c = env.client
        raw = await env.state()
        jobs = await t.list_jobs(c, t.ListJobsArgs())
        assert [j.id for j in jobs.jobs] == [j["id"] for j in raw["jobs"]]
        on_cnc1 = await t.list_jobs(c, t.ListJobsArgs(machine="CNC-1", status="complete"))
        assert all(
            j.status == "complete" and any(op.machine == "CNC-1" for op in j.ops) for j in on_cnc1.jobs
        )
        job = await t.get_job(c, t.GetJobArgs(job_id=jobs.jobs[0].id))
        assert job == jobs.jobs[0]
        sched = await t.get_schedule(c, t.NoArgs())
        assert sched.version == raw["schedule"]["version"] == 1 and "CNC-1" in sched.machines
        mats = await t.list_materials(c, t.NoArgs())
        assert [m.id for m in mats.materials] == [m["id"] for m in raw["materials"]]
        lots = await t.list_lots(c, t.ListLotsArgs(status="in_process", on_hold=False))
        assert lots.lots and all(x.status == "in_process" and not x.on_hold for x in lots.lots)
        first = await t.list_measurements(c, t.ListMeasurementsArgs(limit=1))
        assert first.total == raw["measurements"]["count"] > 3 and first.truncated
        lot = await t.get_lot(c, t.GetLotArgs(lot_id=first.measurements[0].lot))
        assert lot.model_dump() == _one(raw["lots"], id=lot.id)
        ms = await t.list_measurements(
            c, t.ListMeasurementsArgs(lot=lot.id, machine=lot.machines[0], limit=3)
        )
        assert len(ms.measurements) == 3 and {(m.lot, m.machine) for m in ms.measurements} == {
            (lot.id, lot.machines[0])
        }
        techs = await t.list_technicians(c, t.NoArgs())
        assert {x.id for x in techs.technicians if x.on_shift} == {"T-01", "T-02", "T-03"}
        parts = await t.list_spare_parts(c, t.NoArgs())
        assert [p.model_dump() for p in parts.parts] == raw["spare_parts"]
        hist = await t.get_maintenance_history(c, t.MaintenanceHistoryArgs(asset="CNC-1"))
        assert hist.records and {r.asset for r in hist.records} == {"CNC-1"}
        wos = await t.list_work_orders(c, t.ListWorkOrdersArgs(status="open"))
        assert wos.work_orders == [] == raw["work_orders"]

    run_plant(body)


# -- alarms ------------------------------------------------------------------------------------------
def test_alarm_acknowledge_shelve_unshelve() -> None:
    async def body(env: Env) -> None:
        c = env.client
        listed = await t.list_alarms(c, t.ListAlarmsArgs())
        pending = [a for a in listed.alarms if a.state in ("UNACK", "RTNUN")]
        assert pending, "the seed-0 plant has an alarm awaiting acknowledgement at 07:00"
        alarm = pending[0]
        acked = await t.acknowledge_alarm(
            c, t.AcknowledgeAlarmArgs(alarm_id=alarm.id, by="alarm_triage", comment="seen")
        )
        after = _one((await env.state())["alarms"], id=alarm.id)
        assert after["acked_by"] == "alarm_triage" == acked.acked_by
        assert after["state"] == {"UNACK": "ACKED", "RTNUN": "NORM"}[alarm.state]

        target = "CNC-1.spindle_temp.HI"
        shelved = await t.shelve_alarm(
            c, t.ShelveAlarmArgs(alarm_id=target, duration_s=1800, reason="consequential of P-101 trip")
        )
        assert shelved.shelved and _one((await env.state())["alarms"], id=target)["shelved"] is True
        only_shelved = await t.list_alarms(c, t.ListAlarmsArgs(shelved=True, state="any"))
        assert [a.id for a in only_shelved.alarms] == [target]
        got = await t.get_alarm(c, t.GetAlarmArgs(alarm_id=target))
        assert got.shelve_reason == "consequential of P-101 trip"
        await t.unshelve_alarm(c, t.UnshelveAlarmArgs(alarm_id=target))
        assert _one((await env.state())["alarms"], id=target)["shelved"] is False

    run_plant(body)


# -- setpoints and modes -----------------------------------------------------------------------------
def test_set_setpoint_and_machine_mode() -> None:
    async def body(env: Env) -> None:
        c = env.client
        change = await t.set_setpoint(
            c, t.SetSetpointArgs(asset_id="CNC-2", name="spindle_speed", value=9000)
        )
        assert (change.previous, change.value) == (8000.0, 9000.0)
        sp = _one((await env.state())["setpoints"], id="CNC-2.spindle_speed")
        assert sp["value"] == 9000.0

        stopped = await t.set_machine_mode(
            c, t.SetMachineModeArgs(asset_id="CNC-2", mode="stopped", reason="inspection")
        )
        assert stopped.mode == "stopped" == _one((await env.state())["assets"], id="CNC-2")["mode"]
        await t.set_machine_mode(c, t.SetMachineModeArgs(asset_id="CNC-2", mode="auto", reason="done"))
        assert _one((await env.state())["assets"], id="CNC-2")["mode"] == "auto"

    run_plant(body)


# -- work orders: create, assign, approve, lock out, complete -----------------------------------------
def test_work_order_lifecycle_with_lockout() -> None:
    async def body(env: Env) -> None:
        c = env.client
        stock = {p["id"]: p["stock"] for p in (await env.state())["spare_parts"]}
        wo = await t.create_work_order(
            c,
            t.CreateWorkOrderArgs(
                asset="CNC-2",
                type="INSP",
                priority=2,
                description="Check tool wear",
                failure_mode="tool_wear",
            ),
        )
        assert (wo.status, wo.skill, wo.lockout) == ("WAPPR", "machining", True)
        assert [w["id"] for w in (await env.state())["work_orders"]] == [wo.id]
        wo = await t.assign_work_order(c, t.AssignWorkOrderArgs(work_order_id=wo.id, technicians=["T-03"]))
        assert wo.assigned == ["T-03"]
        await t.update_work_order_status(c, t.UpdateWorkOrderStatusArgs(work_order_id=wo.id, status="APPR"))
        with pytest.raises(t.ToolError) as err:  # CNC-2 is running: the lock-out interlock holds
            await t.update_work_order_status(
                c, t.UpdateWorkOrderStatusArgs(work_order_id=wo.id, status="INPRG")
            )
        assert (err.value.kind, err.value.status, err.value.code) == ("interlock", 409, "interlock")
        await t.set_machine_mode(c, t.SetMachineModeArgs(asset_id="CNC-2", mode="stopped", reason="lock-out"))
        await t.update_work_order_status(c, t.UpdateWorkOrderStatusArgs(work_order_id=wo.id, status="INPRG"))
        s = await env.state()
        assert _one(s["assets"], id="CNC-2")["mode"] == "maintenance"
        assert _one(s["technicians"], id="T-03")["work_order"] == wo.id
        assert _one(s["spare_parts"], id="TOOL-INSERT")["stock"] == stock["TOOL-INSERT"] - 4
        done = await t.update_work_order_status(
            c, t.UpdateWorkOrderStatusArgs(work_order_id=wo.id, status="COMP", note="insert changed")
        )
        assert [h.status for h in done.history] == ["WAPPR", "APPR", "INPRG", "COMP"]
        s = await env.state()
        assert _one(s["work_orders"], id=wo.id)["status"] == "COMP"
        assert _one(s["assets"], id="CNC-2")["mode"] == "auto"
        fetched = await t.get_work_order(c, t.GetWorkOrderArgs(work_order_id=wo.id))
        assert fetched.status == "COMP" and fetched.history[-1].note == "insert changed"
        listed = await t.list_work_orders(c, t.ListWorkOrdersArgs(asset="CNC-2"))
        assert [w.id for w in listed.work_orders] == [wo.id]

    run_plant(body)


# -- schedule and lots ---------------------------------------------------------------------------------
def test_publish_schedule_and_lot_hold_release() -> None:
    async def body(env: Env) -> None:
        c = env.client
        sched = await t.get_schedule(c, t.NoArgs())
        pending = [
            t.Assignment(job=op.job, op=op.op, machine=m, start_t=op.planned_start_t or 3600.0)
            for m, q in sched.machines.items()
            for op in q
            if op.status in ("pending", "paused")
        ]
        left_out = pending[-1]
        pub = await t.publish_schedule(
            c, t.PublishScheduleArgs(assignments=pending[:-1], by="scheduling", reason="test republish")
        )
        assert pub.version == 2 and pub.unscheduled == [f"{left_out.job}/{left_out.op}"]
        s = await env.state()
        assert s["schedule"]["version"] == 2 and s["schedule"]["by"] == "scheduling"
        assert (await t.get_schedule(c, t.NoArgs())).unscheduled == pub.unscheduled

        lot = (await t.list_lots(c, t.ListLotsArgs(status="in_process"))).lots[0]
        held = await t.hold_lot(c, t.LotActionArgs(lot_id=lot.id, by="quality", reason="Cpk below 1.0"))
        assert held.on_hold and _one((await env.state())["lots"], id=lot.id)["hold_reason"] == "Cpk below 1.0"
        assert [x.id for x in (await t.list_lots(c, t.ListLotsArgs(on_hold=True))).lots] == [lot.id]
        await t.release_lot(c, t.LotActionArgs(lot_id=lot.id, reason="re-measured in spec"))
        after = _one((await env.state())["lots"], id=lot.id)
        assert after["on_hold"] is False and [h["action"] for h in after["holds"]] == ["hold", "release"]

    run_plant(body)


# -- order intake ------------------------------------------------------------------------------------
def test_create_job_is_unscheduled_until_a_published_schedule_includes_it() -> None:
    async def body(env: Env) -> None:
        c = env.client
        n = len((await t.list_jobs(c, t.ListJobsArgs())).jobs)
        args = t.CreateJobArgs(product="HOUSING-C", qty=4, due_in_h=6, by="scheduling", reason="rush order")
        job = await t.create_job(c, args)
        assert (job.id, job.lot, job.product, job.qty) == (
            f"JOB-{n + 1:04d}",
            f"LOT-{n + 1:04d}",
            "HOUSING-C",
            4,
        )
        assert [op.type for op in job.ops] == ["cnc", "washer", "packer"]
        assert all(op.machine is None and op.status == "pending" for op in job.ops)
        assert job.due_t == 3600.0 + 6 * 3600 and job.release_time == "2026-03-02T07:00:00Z"
        assert _one((await env.state())["jobs"], id=job.id)["lot"] == job.lot
        assert await t.get_job(c, t.GetJobArgs(job_id=job.id)) == job
        sched = await t.get_schedule(c, t.NoArgs())
        assert sched.unscheduled == [f"{job.id}/{k}" for k in range(3)]

        # A resumed step re-sends its key: still one job.
        spec = t.find_tool("create_job")
        assert spec.risk == "write" and "not replan" in " ".join(spec.description.split())
        order = {"product": "SHAFT-A", "qty": 3, "due_time": "2026-03-02T18:00:00Z"}
        first = await spec.invoke(c, order, idempotency_key="run-3:step-1")
        again = await spec.invoke(c, order, idempotency_key="run-3:step-1")
        assert again == first and first.id == f"JOB-{n + 2:04d}"
        assert len((await t.list_jobs(c, t.ListJobsArgs())).jobs) == n + 2

        with pytest.raises(t.ToolError) as err:
            await t.create_job(c, t.CreateJobArgs(product="WIDGET", qty=1, due_in_h=1))
        assert err.value.kind == "invalid_args" and "SHAFT-A" in err.value.message
        with pytest.raises(t.ToolError) as err:
            await spec.invoke(c, {"product": "SHAFT-A", "qty": 0, "due_in_h": 1})
        assert err.value.kind == "invalid_args"

        # Publishing a schedule that includes its operations leaves nothing unscheduled.
        kinds = {a.id: a.type for a in (await t.list_assets(c, t.ListAssetsArgs(category="machine"))).assets}
        rows = [
            t.Assignment(job=op.job, op=op.op, machine=m, start_t=op.planned_start_t or 3600.0)
            for m, q in sched.machines.items()
            for op in q
            if op.status in ("pending", "paused")
        ]
        for new in (job, first):
            rows += [
                t.Assignment(
                    job=new.id,
                    op=op.index,
                    machine=min(m for m, k in kinds.items() if k == op.type),
                    start_t=3600.0,
                )
                for op in new.ops
            ]
        pub = await t.publish_schedule(c, t.PublishScheduleArgs(assignments=rows, reason="rush orders in"))
        assert pub.unscheduled == [] and (await t.get_schedule(c, t.NoArgs())).unscheduled == []
        assert (await t.get_job(c, t.GetJobArgs(job_id=job.id))).ops[0].machine == "CNC-1"

    run_plant(body)


def test_plant_calls_map_to_their_tools() -> None:
    assert (tool_for("POST", "/jobs"), tool_for("GET", "/jobs")) == ("create_job", "list_jobs")
    assert risk_of("create_job") == "write"


def test_every_catalogued_tool_is_exercised_here() -> None:
    source = Path(__file__).read_text()
    missing = [s.name for s in t.TOOLS if f"t.{s.name}(" not in source]
    assert missing == []


def test_catalogue_is_consistent() -> None:
    names = [s.name for s in t.TOOLS]
    assert len(names) == len(set(names))
    assert {s.name for s in t.TOOLS if s.risk == "critical"} == {
        "release_lot",
        "set_machine_mode",
        "set_setpoint",
    }
    for s in t.TOOLS:
        assert s.description.strip() and s.fn.__name__ == s.name
        assert issubclass(s.args_model, t.WriteArgs) == (s.risk != "read"), s.name
    assert t.find_tool("hold_lot").risk == "write"
    with pytest.raises(KeyError, match="known tools"):
        t.find_tool("launch_rocket")
