// The command line of every command (scan, merge, pin): its options, then the positional
// arguments (lists, shard reports, origins) under one hidden name.
#pragma once

#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "app/usage_error.hpp"

namespace originscan::app {

// Parses `args` against `options`, the positional arguments going to `rest` (as the hidden
// option `rest_name`), into `vm`. Returns false, having stored but not notified, when --help was
// given. A bad command line is a UsageError: `prefix` and Boost's message.
inline bool parse_command_line(const std::vector<std::string>& args, const boost::program_options::options_description& options,
                               const char* rest_name, std::vector<std::string>& rest,
                               boost::program_options::variables_map& vm, const std::string& prefix = {}) {
    namespace po = boost::program_options;
    po::options_description all;
    all.add(options).add_options()(rest_name, po::value(&rest)->composing());
    po::positional_options_description positional;
    positional.add(rest_name, -1);
    try {
        po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
        if (vm.count("help")) return false;
        po::notify(vm);
    } catch (const po::error& e) {
        throw UsageError(prefix + e.what());
    }
    return true;
}

}  // namespace originscan::app
