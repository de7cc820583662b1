#pragma once

#include <stdexcept>

namespace originscan::app {

// A problem with what the user gave: the app exits 2 with the message.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace originscan::app
