#include "app/cli_http.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/secret_string.hpp"

namespace nsl::app {
namespace {

constexpr std::size_t kMaxReply = 1024 * 1024;

std::size_t on_data(char* p, std::size_t size, std::size_t n, void* user) {
  auto* b = static_cast<std::string*>(user);
  if (b->size() + size * n > kMaxReply) return 0;
  if (b->capacity() < b->size() + size * n) {
    // Grow by hand so that no unwiped copy of an earlier part of the body is left behind.
    std::string bigger;
    bigger.reserve(std::max(b->capacity() * 2, b->size() + size * n));
    bigger.append(*b);
    SecretString::wipe(*b);
    *b = std::move(bigger);
  }
  b->append(p, size * n);
  return size * n;
}

}  // namespace

ApiReply::ApiReply(ApiReply&& other) noexcept : status(other.status), body(std::move(other.body)) {
  other.body.clear();
}
ApiReply& ApiReply::operator=(ApiReply&& other) noexcept {
  if (this != &other) {
    SecretString::wipe(body);
    status = other.status;
    body = std::move(other.body);
    other.body.clear();
  }
  return *this;
}
ApiReply::~ApiReply() { SecretString::wipe(body); }

Result<ApiReply> api_request(std::string_view method, const std::string& url, const std::string& token,
                             std::string_view body) {
  static const bool init = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!init) return err::internal("libcurl failed to initialise");
  CURL* c = curl_easy_init();
  if (c == nullptr) return err::internal("libcurl failed to initialise");
  std::string auth = "Authorization: Bearer " + token;
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  if (!body.empty()) headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, auth.c_str());
  SecretString::wipe(auth);  // curl_slist_append copied it
  const std::string verb(method);
  ApiReply r;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, verb.c_str());
  if (!body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return err::unavailable(url + ": " + curl_easy_strerror(rc));
  return r;
}

std::string problem_text(const ApiReply& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  std::string detail;
  if (j.is_object()) {
    if (j.contains("detail") && j["detail"].is_string()) {
      detail = j["detail"].get<std::string>();
    } else if (j.contains("title") && j["title"].is_string()) {
      detail = j["title"].get<std::string>();
    }
  }
  return "HTTP " + std::to_string(r.status) + (detail.empty() ? "" : ": " + detail);
}

std::string api_base_url(const std::optional<std::string>& option) {
  std::string url = option.value_or("");
  if (url.empty()) {
    const char* env = std::getenv("NSL_URL");
    url = env != nullptr ? env : "";
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string api_token(const std::optional<std::string>& option) {
  if (option && !option->empty()) return *option;
  const char* env = std::getenv("NSL_TOKEN");
  return env != nullptr ? env : "";
}

}  // namespace nsl::app
