#!/usr/bin/env bash
# Source rules that the compiler cannot check; run by ctest (label unit) and usable by hand.
#  1. Secret key bytes are read only where that is the job: SecretAccess::grant() may appear only in
#     src/crypto/, src/enclave/trusted/, the offline operator CLI (src/app/cli_neo.cpp), the key owner's import client (src/app/cli_keys.cpp), the RS256 token
#     key hand-over to the enclave for sealing (src/auth/token_service.cpp), the answer that hands a stored
#     secret value to its authorised reader (src/app/secret_routes.cpp: marked sensitive, wiped after the
#     write), the transit decrypt / datakey answers that hand a plaintext to its authorised caller
#     (src/app/transit_routes.cpp: built from the service's SecretBytes into a sensitive answer, wiped
#     after the write), test-only helpers (*/testing/*),
#     tests (*_test.cpp) and benchmarks (*_bench.cpp).
#  2. Nothing outside src/enclave/trusted/ includes a header from it (plaintext keys stay in the enclave).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

bad=$(grep -rn --include='*.cpp' --include='*.hpp' 'SecretAccess::grant()' src \
  | grep -v -E '^src/crypto/|^src/enclave/trusted/|^src/app/cli_neo\.cpp:|^src/app/cli_keys\.cpp:|^src/auth/token_service\.cpp:|^src/app/secret_routes\.cpp:|^src/app/transit_routes\.cpp:|/testing/|_test\.cpp:|_bench\.cpp:|^src/core/secret_bytes\.(hpp|cpp):' || true)
if [[ -n $bad ]]; then
  echo "lint: SecretAccess::grant() outside the allowed places:"
  echo "$bad"
  status=1
fi

bad=$(grep -rn --include='*.cpp' --include='*.hpp' -E '#include "enclave/trusted/' src \
  | grep -v -E '^src/enclave/trusted/' || true)
if [[ -n $bad ]]; then
  echo "lint: enclave/trusted/ headers included from outside the enclave:"
  echo "$bad"
  status=1
fi

[[ $status -eq 0 ]] && echo "lint: ok"
exit $status
