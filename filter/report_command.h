// filter/report_command.h — `authmilter report`: reads the report store named by the
// configuration, builds one aggregate report per report domain for a period (default: the
// previous UTC day) and sends each to its rua destinations through ReportSMTPRelay or ReportCommand
// (reports/mail.h; reports/deliver.h: external destinations verified through the resolver of the configuration,
// failures retried by the next run); with --dry-run --out DIR writes each as its RFC file name
// (gzip XML) instead. Exit 1 when a delivery failed (to be retried).
// Runs in its own process (cron or the systemd timer); shares only the configuration file with the
// milter. Not thread-safe (one call per process).
#pragma once

namespace am::report {

// argv[1] is "report". Exit status: 0 done, 1 failure (store, configuration, files), 2 usage.
int reportMain(int argc, char** argv);

}  // namespace am::report
