#include "http/internal/response_wire.hpp"

#include <gtest/gtest.h>

namespace nsl::http::internal {
namespace {

TEST(ResponseWire, SerialisesStatusHeadersAndLength) {
  Response r = Response::json(200, R"({"a":1})");
  r.headers.add("X-Request-Id", "abc");
  EXPECT_EQ(serialize_response(r, false, true, false),
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: abc\r\nContent-Length: 7\r\n\r\n"
            "{\"a\":1}");
}

TEST(ResponseWire, HeadKeepsLengthDropsBody) {
  Response r = Response::text(200, "hello");
  EXPECT_EQ(serialize_response(r, true, true, false),
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n\r\n");
}

TEST(ResponseWire, ConnectionHeaderFollowsKeepAliveAndVersion) {
  Response r = Response::text(404, "x");
  EXPECT_NE(serialize_response(r, false, false, false).find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_NE(serialize_response(r, false, true, true).find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  EXPECT_EQ(serialize_response(r, false, true, false).find("Connection:"), std::string::npos);
}

TEST(ResponseWire, HandlerFramingHeadersAreReplacedAndInjectionRemoved) {
  Response r = Response::text(200, "abc");
  r.headers.add("Content-Length", "999");
  r.headers.add("Transfer-Encoding", "chunked");
  r.headers.add("X-Evil", "a\r\nSet-Cookie: x=1");
  std::string w = serialize_response(r, false, true, false);
  EXPECT_EQ(w.find("999"), std::string::npos);
  EXPECT_EQ(w.find("chunked"), std::string::npos);
  EXPECT_NE(w.find("x-evil: aSet-Cookie: x=1\r\n"), std::string::npos);
  EXPECT_NE(w.find("Content-Length: 3\r\n"), std::string::npos);
}

TEST(ResponseWire, NoContentHasNoBodyOrLength) {
  Response r;
  r.status = 204;
  r.body = "ignored";
  EXPECT_EQ(serialize_response(r, false, true, false), "HTTP/1.1 204 No Content\r\n\r\n");
}

}  // namespace
}  // namespace nsl::http::internal
