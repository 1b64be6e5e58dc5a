// filter/testmsg/test_message.h — `authmilter test-message [-c FILE] [options] MESSAGE...`: runs
// message files, mboxes and Maildirs through the same core as the milter (one core::Session per
// message on an Engine built by the one snapshot builder from the same configuration file), on the
// configured resolver or, with --dns-zone, on zone files (filter/dns/zone_resolver.h), and prints
// what the milter would do: the headers it would add (our Authentication-Results, the
// DKIM-Signature of a matching signing rule), the verdict and its reason; with --json one JSON
// object per message holding the whole MessageOutcome.
//
// Exit status, the most severe verdict over all messages: 0 every message accepted, 2 a message
// rejected, 3 quarantined, 4 tempfailed, 5 discarded (severity: reject, discard, tempfail,
// quarantine, accept); 1 a usage, configuration, zone-file or input error.
// Single-threaded; owns what it builds.
#pragma once

namespace am::testmsg {

int testMessageMain(int argc, char** argv);  // argv[1] == "test-message"

}  // namespace am::testmsg
