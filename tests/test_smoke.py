def test_add_then_today_lists_step_one(cli):
    pid = cli("add", "--first", "Ana", "--last", "López", "--phone", "+1 212 555 0134", "--start", "2026-11-23").stdout.strip()
    items = cli.json("today", "--date", "2026-11-23")
    assert [(i["prospect_id"], i["step"], i["type"], i["overdue_days"]) for i in items] == [(int(pid), 1, "call", 0)]
