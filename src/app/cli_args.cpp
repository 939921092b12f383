#include "app/cli_args.hpp"

namespace nsl::app {

bool CliArgs::parse(const std::vector<std::string>& args, std::size_t from, const std::set<std::string>& value_options,
                    const std::set<std::string>& flag_options) {
  for (std::size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-') {
      positional.push_back(a);
      continue;
    }
    std::string name = a, value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    if (flag_options.count(name)) {
      if (has_value) {
        error = name + " takes no value";
        return false;
      }
      flags.insert(name);
    } else if (value_options.count(name)) {
      if (!has_value) {
        if (i + 1 >= args.size()) {
          error = name + " needs a value";
          return false;
        }
        value = args[++i];
      }
      options[name] = value;
    } else {
      error = "unknown option " + name;
      return false;
    }
  }
  return true;
}

std::optional<std::string> CliArgs::option(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> read_secret_line(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace nsl::app
