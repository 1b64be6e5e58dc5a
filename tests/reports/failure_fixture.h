// tests/reports/failure_fixture.h — the failing message the failure-report tests start from: its
// Record (p=reject, ruf, DKIM and SPF failed and not aligned), the FailureInput around it (header
// fields, recipients at another domain, a body) and the report settings.
#pragma once
#include "reports/failure.h"

namespace am::reports::fixture {

inline const int64_t kNow = 1700000000;

inline Record failing() {
  Record r;
  r.time = kNow - 5;
  r.reportDomain = "example.com";
  r.headerFrom = "example.com";
  r.envelopeFrom = "bounce.example.com";
  r.sourceIp = "192.0.2.7";
  r.published.p = "reject";
  r.published.ruf = {"mailto:ruf@example.com"};
  r.dmarcResult = "fail";
  r.disposition = "reject";
  r.dkimAligned = "fail";
  r.spfAligned = "fail";
  r.dkim = {{"example.com", "s1", "fail"}};
  r.spfDomain = "bounce.example.com";
  r.spfResult = "fail";
  return r;
}

inline FailureInput input() {
  FailureInput in;
  in.record = failing();
  in.queueId = "4AbCdE";
  in.mailFrom = "alice@bounce.example.com";
  in.rcpts = {"bob@receiver.test", "carol@receiver.test"};
  in.authResults = "mx.receiver.test; dkim=fail header.d=example.com; spf=fail smtp.mailfrom=alice@bounce.example.com;"
                   " dmarc=fail header.from=example.com";
  in.headers = {{"Received", "from x (x [192.0.2.7]) by mx.receiver.test for <bob@receiver.test>; Tue"},
                {"From", "Alice <alice@example.com>"},
                {"To", "Bob <bob@receiver.test>, carol@receiver.test"},
                {"Cc", "dave@elsewhere.test"},
                {"Subject", "Quarterly figures"},
                {"Date", "Tue, 14 Nov 2023 22:13:20 +0000"},
                {"Message-ID", "<abc.123@mail.example.com>"}};
  in.body = "Hello Bob,\r\nwrite to bob@receiver.test or alice@example.com.\r\n";
  in.deliveryResult = "reject";
  return in;
}

inline FailureSettings settings() {
  FailureSettings s;
  s.sentBy = "dmarc-noreply@receiver.test";
  s.reportingMta = "mx.receiver.test";
  s.userAgent = "authmilter/1.0";
  return s;
}

}  // namespace am::reports::fixture
