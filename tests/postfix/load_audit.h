// tests/postfix/load_audit.h — the bookkeeping of the Postfix load tests: given what the SMTP
// client saw for each message (smtp_load.h), the delivered maildir copies and Postfix's queue,
// it sorts every submitted message into exactly one outcome and counts the defects:
//   accepted (250)  → delivered exactly once with exactly one Authentication-Results header
//                     claiming our authserv-id, or in the hold queue (matched by the queue id the
//                     250 reply named);
//   4xx / 5xx seen  → never delivered, never held;
//   no reply seen   → (connection error or timeout) at most once, and with our AR if delivered.
// Messages are matched by their unique Message-ID.
//
// Pure functions over values; no I/O. Thread-safe.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "tests/postfix/postfix_instance.h"
#include "tests/postfix/smtp_load.h"

namespace am::postfix_test {

struct AuditInput {
  std::vector<std::string> messageIds;  // "<...>", one per submitted message
  std::vector<LoadResult> results;      // results[i] for messageIds[i]
  std::vector<std::string> delivered;   // raw delivered copies
  std::vector<PostfixInstance::QueueEntry> queue;
  std::string authservId;
};

struct AuditCounts {
  size_t submitted = 0;
  size_t accepted = 0, deliveredOk = 0, held = 0;
  size_t tempFail = 0, permFail = 0;
  size_t connError = 0, connErrorDelivered = 0;
  // Defects: each must be 0.
  size_t lost = 0;                    // accepted, neither delivered nor held nor still queued
  size_t stillQueued = 0;             // accepted, still in incoming/active/deferred
  size_t deliveredWithoutOurAr = 0;   // a delivered copy with no AR of ours
  size_t deliveredWithSeveralAr = 0;  // a delivered copy with more than one AR of ours
  size_t duplicates = 0;              // extra copies of one Message-ID (delivered, or delivered+held)
  size_t refusedButKept = 0;          // the client saw 4xx/5xx, yet it was delivered or held
  size_t unknown = 0;                 // delivered or queued, but not one we sent (or no Message-ID)
  std::map<std::string, size_t> refusals;  // "451 4.7.1 @mail" style keys, with counts
  std::vector<std::string> examples;       // the first defects, described

  size_t defects() const {
    return lost + stillQueued + deliveredWithoutOurAr + deliveredWithSeveralAr + duplicates + refusedButKept + unknown;
  }
  // A fixed-width table of every count, headed by `title`.
  std::string table(const std::string& title) const;
};

AuditCounts audit(const AuditInput& in);

// The value of the first Message-ID header of a raw message ("" if none), trimmed.
std::string messageIdOf(const std::string& raw);
// How many Authentication-Results headers of the raw message claim `authservId`.
size_t ourArCount(const std::string& raw, const std::string& authservId);

}  // namespace am::postfix_test
