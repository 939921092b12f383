// nsl/app/serve.hpp — `nsl serve`: wires configuration, observability, health and the HTTP server, then runs
// until SIGTERM/SIGINT (graceful drain, exit 0) with SIGHUP reloading TLS, secret files and the log level.
#pragma once

#include <string>

namespace nsl::app {

// Runs the server with the configuration at `config_path` ("" = defaults + environment). Returns the process
// exit code: 0 after a clean shutdown, 1 on a start-up failure, 2 on a configuration error.
int run_serve(const std::string& config_path);

}  // namespace nsl::app
