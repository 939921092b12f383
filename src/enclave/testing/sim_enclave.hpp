// nsl/enclave/testing/sim_enclave.hpp — the sim enclave in-process, for tests of code that uses the
// Enclave port (token keys, audit checkpoints) without starting nsl-enclave.
//
// Same TrustedCore as the nsl-enclave process in sim mode (sealing secret in <dir>/enclave), only
// without the socket. Link nsl_enclave_trusted. Never used by a product binary other than
// nsl-enclave itself.
#pragma once

#include <memory>
#include <string>

#include "core/result.hpp"
#include "enclave/enclave.hpp"

namespace nsl::enclave::testing {

Result<std::unique_ptr<Enclave>> open_sim_enclave(const std::string& data_dir);

}  // namespace nsl::enclave::testing
