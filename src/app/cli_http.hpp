// nsl/app/cli_http.hpp — the operator CLI's calls to a running nsl API (`nsl keys import`,
// `nsl secrets …`): one JSON request with a Bearer credential, its status and body.
//
//   NSL_TRY_ASSIGN(ApiReply r, api_request("GET", base + "/v1/secrets/app/db", token));
//   if (r.status != 200) err << problem_text(r);
//
// Only http and https URLs, no redirects (a credential never follows one), 30 s overall timeout,
// answers up to 1 MiB. The reply body may hold a secret: it is wiped when the ApiReply goes.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace nsl::app {

struct ApiReply {
  long status = 0;
  std::string body;
  ApiReply() = default;
  ApiReply(const ApiReply&) = delete;
  ApiReply& operator=(const ApiReply&) = delete;
  ApiReply(ApiReply&& other) noexcept;
  ApiReply& operator=(ApiReply&& other) noexcept;
  ~ApiReply();
};

// `body` is sent as application/json when not empty. unavailable when the server cannot be reached.
Result<ApiReply> api_request(std::string_view method, const std::string& url, const std::string& token,
                             std::string_view body = {});

// "HTTP 403: <detail>" from a problem+json answer.
std::string problem_text(const ApiReply& r);

// The API base URL (--url, else $NSL_URL) without a trailing '/', and the credential (--token,
// else $NSL_TOKEN); "" when neither is set.
std::string api_base_url(const std::optional<std::string>& option);
std::string api_token(const std::optional<std::string>& option);

}  // namespace nsl::app
