// The `nsl` binary: the API server and the operator CLI.
#include <iostream>
#include <string>
#include <vector>

#include "app/cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return nsl::app::run_cli(args, std::cin, std::cout, std::cerr);
}
