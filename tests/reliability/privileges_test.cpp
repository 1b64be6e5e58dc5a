// tests/reliability/privileges_test.cpp — UserID: the real binary started as root with
// `UserID nobody` reads its keys (root-owned, mode 0600) before dropping privileges and signs
// with them; afterwards /proc/PID/status shows nobody in every uid slot, nobody's group, no
// supplementary groups and no capabilities; a SIGHUP reload then cannot open the key files
// (Permission denied, logged) and the old snapshot goes on signing; once the keys belong to
// nobody the same reload succeeds.
// It must run as root (CI and the development machines do): as another user it fails with a
// message saying so rather than being skipped.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/e2e/e2e_fixture.h"
#include "tests/reliability/proc_stats.h"

using namespace am::e2e;
using namespace am::reliability;
using am::milter_client::Result;

namespace {

size_t signatures(const std::string& socket) {
  auto out = message("alice@sign.e2e.test", "Alice <alice@sign.e2e.test>", "203.0.113.9");
  out.macros["{auth_authen}"] = "alice";
  Result r = send(socket, out);
  return r.action == Result::Action::Accept ? headerValues(r, "DKIM-Signature").size() : 0;
}

// "65534\t65534\t65534\t65534" for a uid or gid in all four slots (real, effective, saved, fs).
std::string allFour(unsigned id) {
  std::string s = std::to_string(id);
  return s + "\t" + s + "\t" + s + "\t" + s;
}

}  // namespace

TEST(Privileges, KeysAreReadBeforeTheDropAndCannotBeOpenedAfterIt) {
  ASSERT_EQ(geteuid(), 0u) << "this test starts authmilter as root with UserID nobody and must run as root "
                              "(CI runs the suite as root); it is not skipped for other users";
  const passwd* pw = getpwnam("nobody");
  ASSERT_NE(pw, nullptr) << "no user 'nobody' on this system";
  const uid_t nobodyUid = pw->pw_uid;
  const gid_t nobodyGid = pw->pw_gid;
  Env env;
  ASSERT_EQ(env.start("UserID nobody\n"), "");
  const std::string rsaKey = env.dir + "/sign.e2e.test.rsa1.key", edKey = env.dir + "/sign.e2e.test.ed1.key";
  for (const auto& k : {rsaKey, edKey}) {
    struct stat st{};
    ASSERT_EQ(::stat(k.c_str(), &st), 0) << k;
    EXPECT_EQ(st.st_uid, 0u) << k;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << k;
  }

  // (a) Both keys were read (as root, before the drop): the process signs with both.
  EXPECT_EQ(signatures(env.socket), 2u) << env.milter->output();

  // (b) The drop is complete and cannot be undone.
  auto st = readStatus(env.milter->pid());
  ASSERT_TRUE(st);
  EXPECT_EQ(st->uid, allFour(nobodyUid));
  EXPECT_EQ(st->gid, allFour(nobodyGid));
  EXPECT_EQ(st->groups, "");
  EXPECT_EQ(st->capPrm, "0000000000000000");
  EXPECT_EQ(st->capEff, "0000000000000000");

  // (c) The configuration and policy stay readable for nobody (the directory becomes searchable,
  // both files are 0644); the keys do not. A reload must open them again and cannot.
  ASSERT_EQ(::chmod(env.dir.c_str(), 0711), 0);
  ASSERT_EQ(::kill(env.milter->pid(), SIGHUP), 0);
  EXPECT_TRUE(waitForOutput(*env.milter, "reload failed, keeping the old configuration"))
      << env.milter->output();
  EXPECT_TRUE(waitForOutput(*env.milter, "cannot open key file " + rsaKey + ": Permission denied"))
      << env.milter->output();
  EXPECT_EQ(signatures(env.socket), 2u) << "the old snapshot keeps signing\n" << env.milter->output();

  // The failure was the key files' permissions and nothing else: given to nobody, they load.
  for (const auto& k : {rsaKey, edKey}) ASSERT_EQ(::chown(k.c_str(), nobodyUid, nobodyGid), 0) << k;
  ASSERT_EQ(::kill(env.milter->pid(), SIGHUP), 0);
  EXPECT_TRUE(waitForOutput(*env.milter, "configuration and policy reloaded")) << env.milter->output();
  EXPECT_EQ(signatures(env.socket), 2u) << env.milter->output();
}
