"""A 补投认购 round (the adjustment module) after an exit: the exited partner's stake left them
(core.holders.left), so they cannot be added to the round, and one who exits after being added stops its 补投测算
until the accountant takes them off."""
from core.tenancy import tenant
from plugins.exit.tests.test_takeover import resigns, takeover_world
from tests.conftest import login


def test_an_exited_partner_cannot_join_a_supplementary_round(app, client):
    from plugins.adjustment.tests.helpers import TODAY, act, flashes, lines, new_round
    from plugins.adjustment.tests.test_rounds import partner
    world = takeover_world(app, ())
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    resigns(app, world, kj, hh)  # 史伟's stake is the platform company's
    round_id = new_round(app, world, kj, "supplementary", deadline=TODAY.isoformat(), payment_deadline="2030-06-30")
    html = partner(kj, world, round_id, "shiwei", low="1,000", high="100,000")
    assert "史伟 已退出本项目，不能加入补投认购 #1" in flashes(html)
    assert "已添加" in partner(kj, world, round_id, "jintao", low="1,000", high="100,000")
    assert set(lines(app, world, round_id)) == {"jintao"}
    kj.get("/?lang=en")  # the same refusal in English
    html = partner(kj, world, round_id, "shiwei", low="1,000", high="100,000")
    assert "史伟 has left the project and cannot join" in " ".join(flashes(html)), flashes(html)
    kj.get("/?lang=zh")
    assert "已计算补投认购 #1的调整明细" in act(kj, world, round_id, "compute")


def test_a_partner_who_exits_after_being_added_stops_the_computation_until_taken_off(app, client):
    from plugins.adjustment.tests.helpers import TODAY, act, flashes, lines, new_round
    from plugins.adjustment.tests.test_rounds import partner
    world = takeover_world(app, ())
    kj = login(client, world["kj"])
    hh = login(app.test_client(), world["hh"])
    round_id = new_round(app, world, kj, "supplementary", deadline=TODAY.isoformat(), payment_deadline="2030-06-30")
    assert "已添加" in partner(kj, world, round_id, "shiwei", low="1,000", high="100,000")
    assert "已添加" in partner(kj, world, round_id, "jintao", low="1,000", high="100,000")
    resigns(app, world, kj, hh)
    html = act(kj, world, round_id, "compute")
    assert "史伟 已退出本项目，请先将其移出本轮名单" in flashes(html)
    act(kj, world, round_id, f"lines/{lines(app, world, round_id)['shiwei'].id}/delete")
    assert "已计算补投认购 #1的调整明细" in act(kj, world, round_id, "compute")
