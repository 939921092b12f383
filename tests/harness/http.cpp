// HTTP client for end-to-end tests: one libcurl easy handle per call, so calls may run in parallel.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <thread>

#include "harness/harness.hpp"

namespace nsl::testing {
namespace {

void ensure_curl_global_init() {
  // Function-local static initialization is thread-safe; curl_global_cleanup is left to process
  // exit.
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)rc;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<HttpResponse*>(user)->body.append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  const std::string_view line(data, size * count);
  if (line.substr(0, 5) == "HTTP/") {
    // A new status line (after 100 Continue or a redirect): keep only the final response's headers.
    response->headers.clear();
    return line.size();
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  std::string name(trim(line.substr(0, colon)));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string_view value = trim(line.substr(colon + 1));
  auto [it, inserted] = response->headers.try_emplace(name, value);
  if (!inserted) it->second.append(", ").append(value);
  return line.size();
}

long curl_http_version(HttpVersion v) {
  switch (v) {
    case HttpVersion::kHttp1_0:
      return CURL_HTTP_VERSION_1_0;
    case HttpVersion::kHttp1_1:
      return CURL_HTTP_VERSION_1_1;
    case HttpVersion::kHttp2:
      return CURL_HTTP_VERSION_2_0;
  }
  return CURL_HTTP_VERSION_1_1;
}

bool has_header(const HttpRequestOptions& o, std::string_view name) {
  return std::any_of(o.headers.begin(), o.headers.end(), [&](const auto& kv) {
    return kv.first.size() == name.size() &&
           std::equal(kv.first.begin(), kv.first.end(), name.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

HttpResponse http_request(const HttpRequestOptions& o) {
  ensure_curl_global_init();
  HttpResponse response;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    response.error = "curl_easy_init failed";
    return response;
  }
  CURL* h = curl.get();
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_URL, o.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROXY, "");  // ignore http_proxy & co.
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.timeout.count()));
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, curl_http_version(o.http_version));
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, o.follow_redirects ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);

  if (o.insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!o.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, o.ca_file.c_str());
  if (!o.client_cert_file.empty()) curl_easy_setopt(h, CURLOPT_SSLCERT, o.client_cert_file.c_str());
  if (!o.client_key_file.empty()) curl_easy_setopt(h, CURLOPT_SSLKEY, o.client_key_file.c_str());

  const bool sends_body =
      !o.body.empty() || o.method == "POST" || o.method == "PUT" || o.method == "PATCH";
  if (o.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (sends_body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(o.body.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, o.body.data());
    if (o.method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, o.method.c_str());
  } else if (o.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, o.method.c_str());
  }

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next != nullptr) {
      (void)headers.release();
      headers.reset(next);
    }
  };
  for (const auto& [name, value] : o.headers) {
    // curl drops "Name:" (empty value) unless written as "Name;".
    add_header(value.empty() ? name + ";" : name + ": " + value);
  }
  // Send bodies at once instead of waiting for a 100-continue round trip.
  if (!has_header(o, "Expect")) add_header("Expect:");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    response.status = 0;
    response.error = curl_easy_strerror(rc);
    if (errbuf[0] != '\0') response.error.append(": ").append(errbuf);
    return response;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

HttpResponse http_get(const std::string& url) {
  HttpRequestOptions o;
  o.url = url;
  return http_request(o);
}

bool wait_for_http(const std::string& url, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    HttpRequestOptions o;
    o.url = url;
    o.insecure = true;
    o.timeout = std::min(left, std::chrono::milliseconds(1000));
    if (http_request(o).status > 0) return true;
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(50)));
  }
}

}  // namespace nsl::testing
