#include "app/cli.hpp"

int main(int argc, char** argv) { return originscan::app::run(argc, argv); }
