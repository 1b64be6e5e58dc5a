// tests/core/core_fixture.h — what the core tests share: a fixed clock, a logger, a temporary
// directory removed after the test, and an Engine over the in-memory resolver built from a
// configuration (the production snapshot builder runs on it).
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "tests/support/memorydns/memory_resolver.h"
#include "filter/core/engine.h"

namespace am::core::test {

struct CoreFixture : ::testing::Test {
  FixedClock clock{1700000000};
  Logger log;
  InMemoryResolver* dns = nullptr;
  std::unique_ptr<Engine> engine;
  std::string dir;

  void SetUp() override {
    char tmpl[] = "/tmp/am-core-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir).c_str()); }

  // Builds `engine` from `cfg` (or fails the test with the builder's first error).
  void startEngine(const config::LoadResult& cfg) {
    ASSERT_TRUE(cfg.config) << cfg.errors[0];
    auto mem = std::make_unique<InMemoryResolver>();
    dns = mem.get();
    std::vector<std::string> errors;
    engine = Engine::create(cfg.config, log, std::move(mem), clock, errors);
    ASSERT_TRUE(engine) << (errors.empty() ? "" : errors[0]);
  }
};

}  // namespace am::core::test
