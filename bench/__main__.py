"""`make bench`: run every benchmark in turn."""

from bench import (
    activation_latency,
    callout_storm,
    console,
    console_log,
    debrief,
    drills,
    finance_report,
    invoices,
    log_keeper,
    national,
    stats,
    voice,
)

if __name__ == "__main__":
    activation_latency.main()
    log_keeper.main()
    console_log.main([])
    callout_storm.main()
    national.main()
    finance_report.main()
    console.main()
    debrief.main([])
    stats.main([])
    drills.main([])
    invoices.main([])
    voice.main()
