// The command line: options -> settings -> scan -> rules -> reports -> exit status.
#pragma once

namespace originscan::app {

int run(int argc, char** argv);

}  // namespace originscan::app
