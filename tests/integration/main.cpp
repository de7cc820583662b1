// Catch2's main for integration_tests, plus a listener that stops the loopback origins when
// the run ends, including after a fatal signal (Catch2 reports it, then the process dies
// without running static destructors).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "tests/integration/fixture_env.hpp"

namespace {

struct StopLoopbackOrigins : Catch::TestEventListenerBase {
    using TestEventListenerBase::TestEventListenerBase;

    void testRunEnded(const Catch::TestRunStats&) override {
        originscan::testing::LoopbackOrigins::shutdown_if_started();
    }
    void fatalErrorEncountered(Catch::StringRef) override {
        originscan::testing::LoopbackOrigins::shutdown_if_started();
    }
};

}  // namespace

CATCH_REGISTER_LISTENER(StopLoopbackOrigins)
