#include "app/read_only.hpp"

#include "http/problem.hpp"

namespace nsl::app {

bool refused_when_read_only(const http::Route& route) noexcept { return http::route_writes(route); }

http::Response read_only_refusal(const http::Request& req) {
  return http::problem(err::unavailable(std::string(kReadOnlyDetail)), req, kReadOnlyProblemType);
}

http::Middleware read_only_middleware() {
  return [](http::Request& req, http::Next next) -> boost::asio::awaitable<http::Response> {
    const http::Route* route = req.ctx.route_info;
    if (route != nullptr && refused_when_read_only(*route)) co_return read_only_refusal(req);
    co_return co_await next(req);
  };
}

}  // namespace nsl::app
