// The sim TrustedCore behind the Enclave port, in-process (enclave/testing/sim_enclave.hpp).
#include "enclave/testing/sim_enclave.hpp"
#include "enclave/trusted/core.hpp"

namespace nsl::enclave::testing {

Result<std::unique_ptr<Enclave>> open_sim_enclave(const std::string& data_dir) {
  NSL_TRY_ASSIGN(std::unique_ptr<trusted::TrustedCore> core,
                 trusted::TrustedCore::open({.mode = Mode::sim, .data_dir = data_dir}));
  return std::unique_ptr<Enclave>(std::move(core));
}

}  // namespace nsl::enclave::testing
