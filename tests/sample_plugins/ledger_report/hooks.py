from core.hookspecs import hookimpl


@hookimpl
def approval_providers(group_id):
    from tests.sample_plugins.ledger.hooks import OA_OFFERED, SampleOA
    return [SampleOA("report_oa")] if "report_oa" in OA_OFFERED else []
