"""EC2.9 use of several instances measured in one SQL query (analysis/resources.py
sql_resource_uses): each instance gets its own sources, as the Python reference counts them."""

from __future__ import annotations

from test_planner import World, _instance, run_propose, world  # noqa: F401  (fixture)


def test_each_instance_gets_its_own_clients(world: World) -> None:  # noqa: F811
    world.group("sg-00000002", "i", [])
    for n, iid in enumerate(("i-000000a1", "i-000000a2", "i-000000a3"), 1):
        world.eni(
            f"eni-1000000{n}", f"10.0.1.1{n}", ["sg-00000002"], Attachment={"InstanceId": iid}
        )
        _instance(world, iid, f"eni-1000000{n}")
    # a1: two internet clients; a2: only a private one; a3: one internet client, busier
    world.traffic("eni-10000001", "10.0.1.11", "198.51.100.5", 443)
    world.traffic("eni-10000001", "10.0.1.11", "198.51.100.6", 443)
    world.traffic("eni-10000002", "10.0.1.12", "10.0.5.5", 22)
    for day in (1, 2, 3):
        world.traffic("eni-10000003", "10.0.1.13", "203.0.113.7", 443, day=day)
    plan = run_propose(world)  # also: the SQL engine's plan equals the Python reference's
    by_id = {r["resource_id"]: r for r in plan["resources"]}
    assert by_id["i-000000a1"]["action"] == "keep-public-ip"
    assert {s["address"] for s in by_id["i-000000a1"]["evidence"]["sources"]} == {
        "198.51.100.5",
        "198.51.100.6",
    }
    assert by_id["i-000000a2"]["action"] == "remove-public-ip"
    assert by_id["i-000000a3"]["action"] == "keep-public-ip"
    assert [s["address"] for s in by_id["i-000000a3"]["evidence"]["sources"]] == ["203.0.113.7"]
